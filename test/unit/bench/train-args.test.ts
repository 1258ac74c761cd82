/** bench:train refuses settings it cannot measure before it trains anything. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

const bench = (...args: string[]) =>
  spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bench/train/main.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });

it('refuses a run of a single batch, which leaves nothing to time after the warm-up batch', () => {
  const r = bench('--quick', '--only', 'tfjs', '--train-size', '100');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/100 train images × 1 epoch\(s\) is a single batch \(batch size 128\)/);
  expect(r.stderr).not.toMatch(/tfjs +epoch/); // nothing was trained
});

it('names a bad --repeats value', () => {
  const r = bench('--repeats', '0');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--repeats must be a positive integer/);
});
