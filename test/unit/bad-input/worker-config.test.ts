/**
 * A worker started with a bad setting must exit non-zero at once, naming the setting, before it
 * connects to anything: bad configuration never becomes good on retry.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function startWorker(worker: 'io' | 'training', env: Record<string, string>) {
  const r = spawnSync(tsx, [path.join(REPO_ROOT, 'src', 'workers', `${worker}.ts`)], {
    cwd: REPO_ROOT,
    // Unreachable services: a worker that got past the config check would fail differently (or hang).
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', POSTGRES_PORT: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

describe('workers with a bad configuration', () => {
  it.each([
    ['io', 'RETRAIN_MIN_RECORDS', 'many'],
    ['io', 'KAFKA_BROKERS', 'localhost'],
    ['training', 'EPOCHS', '-3'],
    ['training', 'TEMPORAL_ADDRESS', 'not an address'],
  ] as const)(
    '%s worker exits 1 and names %s=%s',
    (worker, name, value) => {
      const r = startWorker(worker, { [name]: value });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(name);
      // The message, not a stack trace.
      expect(r.stderr).not.toMatch(/^\s+at /m);
    },
    70_000,
  );
});
