/**
 * bench:continual --quick end to end (2 cycles of 200 on the real pipeline, then the baselines), so the
 * bench cannot rot: its JSON line, its files, and the promotion guard it reports.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { replayCountFor } from '../../src/domain/model/fine-tune';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-continual-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

it('runs the quick continual benchmark and reports every strategy', async () => {
  const { stdout } = await promisify(execFile)(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['bench/continual/run.ts', '--quick', '--out', out],
    { cwd: REPO_ROOT, maxBuffer: 64 << 20 },
  );
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(summary).toMatchObject({ cycles: 2, batch: 200, seeds: 1 });
  for (const s of ['frozen', 'naive', 'ours', 'joint']) {
    expect(summary[s].testAccuracy).toBeGreaterThan(0.5);
    expect(summary[s].testAccuracy).toBeLessThanOrEqual(1);
  }
  expect(summary.ours.promoted + summary.ours.rejected).toBe(2);
  // Quick mode: 4 000 train images, 1 epoch everywhere; the replay pool grows by each batch.
  const share = loadConfig().training.replayShare;
  expect(summary.naive.trainImages).toBe(2 * 200);
  expect(summary.ours.trainImages).toBe(
    400 + replayCountFor(200, 4000, share) + replayCountFor(200, 4200, share),
  );
  expect(summary.joint.trainImages).toBe(4000 + 2 * 200);

  const full = JSON.parse(fs.readFileSync(path.join(out, 'continual.json'), 'utf8'));
  expect(full.seeds[0].cycles).toHaveLength(2);
  expect(full.worstPromotedTestDrop).toBeLessThanOrEqual(full.settings.promotionTestTolerance + 1e-9);
  const png = fs.readFileSync(path.join(out, 'continual.png'));
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(fs.readFileSync(path.join(out, 'continual.md'), 'utf8')).toMatch(/\| 2 \| 400 \|/);
}, 900_000);
