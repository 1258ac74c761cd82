/** `status` as a script runs it, against the real stack. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config';

describe('temporal-mlops status on the real stack', () => {
  it('shows every part and exits 0 when every service answers', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/temporal-mlops.js'), 'status', '--cycles', '3'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Champion: /m);
    expect(r.stdout).toMatch(/^Consumer lag: \d+/m);
    expect(r.stdout).toMatch(/^(Last retrain cycles:|Retrain cycles: none yet)/m);
    expect(r.stdout).toMatch(/^SCHEDULE\s+STATE\s+EVERY/m);
    expect(r.stdout).not.toContain('unavailable');
  });

  it('exits 3 and still prints the champion when Temporal and Kafka are unreachable', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/temporal-mlops.js'), 'status'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', KAFKA_BROKERS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^Champion: /m);
    expect(r.stdout).toContain('Schedules: unavailable (Temporal is not reachable)');
    expect(r.stdout).toMatch(/Consumer lag: unavailable/);
  });
});
