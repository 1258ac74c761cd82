/**
 * bench:train --quick end to end (2 interleaved repeats of 1 epoch × 2 000 images per framework, real
 * tfjs-node and real Keras in the cached venv, plus the placement probe), so the bench cannot rot: the JSON
 * line's shape, that both sides trained, and that the summary figures follow from the runs.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/config';

it('runs the quick training bench with both frameworks and reports medians, spread and ratios', async () => {
  const { stdout } = await promisify(execFile)(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['bench/train/main.ts', '--quick', '--json', '--placement'],
    { cwd: REPO_ROOT, maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(r).toMatchObject({ repeats: 2, repeatEpochs: 1, accuracyEpochs: 1, trainSize: 2000 });
  expect(r.tfjs).toMatchObject({ backend: 'tensorflow', device: 'cpu' });
  expect(r.keras).toMatchObject({ tensorflow: '2.15.1', device: 'cpu' });
  for (const side of ['tfjs', 'keras'] as const) {
    const s = r[side];
    // Trained: one epoch on 2 000 images is far above chance (10 %) on both splits.
    expect(s.validationAccuracy).toBeGreaterThan(0.5);
    expect(s.testAccuracy).toBeGreaterThan(0.5);
    expect(s.testAccuracy).toBeLessThanOrEqual(1);
    expect(s.imagesPerSec).toBeGreaterThan(0);
    expect(s.cpuMsPerImage).toBeGreaterThan(0);
    expect(s.peakRssMb).toBeGreaterThan(0);
    expect(r.spread[side].min).toBeLessThanOrEqual(s.imagesPerSec);
    expect(r.spread[side].max).toBeGreaterThanOrEqual(s.imagesPerSec);
    // The probe found the CNN's kernels, all on the CPU.
    expect(Object.keys(s.placement)).toEqual(['CPU:0']);
    expect(s.placement['CPU:0']).toBeGreaterThan(10);
  }
  expect(r.ratio).toBeCloseTo(r.tfjs.imagesPerSec / r.keras.imagesPerSec, 2);
  expect(r.cpuRatio).toBeCloseTo(r.keras.cpuMsPerImage / r.tfjs.cpuMsPerImage, 1);
  expect(r.spread.ratio.min).toBeLessThanOrEqual(r.spread.ratio.max);
}, 900_000);
