/** Needs the native stack running (`npm test` starts it with `stack up` before jest). */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/config';

const run = promisify(execFile);
const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

describe('stack status', () => {
  it('reports all four services healthy with their URLs and pids', async () => {
    const { stdout } = await run(tsx, ['src/stack/cli.ts', 'status'], { cwd: REPO_ROOT, timeout: 60000 });
    const rows = new Map(
      stdout
        .split('\n')
        .map((l) => l.split(/\s{2,}/))
        .filter((cells) => ['postgres', 'kafka', 'temporal', 'mlflow'].includes(cells[0] ?? ''))
        .map((cells) => [cells[0]!, cells]),
    );
    expect([...rows.keys()].sort()).toEqual(['kafka', 'mlflow', 'postgres', 'temporal']);
    for (const [name, [, health, pid]] of rows) {
      expect({ name, health }).toEqual({ name, health: 'healthy' });
      expect(pid).toMatch(/^\d+$/);
    }
    expect(rows.get('temporal')?.[3]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rows.get('mlflow')?.[3]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).not.toContain('mlops-local'); // the password never shows
  });

  it('exits non-zero and names the problem for an unknown service', async () => {
    await expect(run(tsx, ['src/stack/cli.ts', 'logs', 'redis'], { cwd: REPO_ROOT })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown service "redis"'),
    });
  });

  it('refuses to wipe without --yes', async () => {
    await expect(run(tsx, ['src/stack/cli.ts', 'wipe'], { cwd: REPO_ROOT })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('wipe --yes'),
    });
  });
});
