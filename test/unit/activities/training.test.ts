/**
 * Training activities under MockActivityEnvironment with native TensorFlow and a tiny synthetic set:
 * heartbeats carry the resume point, a retry resumes from the checkpoint, cancellation stops training.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type {
  FineTuneInput,
  EvaluateInput,
  EvaluatedSplits,
  StagedModel,
  TrainInitialInput,
  TrainingHeartbeat,
} from '../../../src/activities/contracts';
import { createTrainingActivities } from '../../../src/activities/training';
import { loadTf } from '../../../src/adapters/tf-backend';
import { loadConfig } from '../../../src/config';
import { IMAGE_BYTES, type MnistSet } from '../../../src/domain/data/types';
import { expectedFedDigest } from '../../../src/domain/cycle/training-evidence';
import { encodeSnapshot } from '../../../src/domain/stream/batch-snapshot';

const tf = loadTf('cpu');
const dir = mkdtempSync(path.join(os.tmpdir(), 'training-activity-'));
const cfg = loadConfig({ ...process.env, DATA_DIR: dir, BATCH_SIZE: '16' });

/** Digits drawn as a bright row at a label-dependent height: learnable in a few batches. */
function synthetic(count: number, offset: number): MnistSet {
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = (i + offset) % 10;
    labels[i] = label;
    images.fill(255, i * IMAGE_BYTES + (2 + label * 2) * 28, i * IMAGE_BYTES + (3 + label * 2) * 28);
  }
  return { images, labels, count };
}
const data = async () => ({ train: synthetic(64, 0), validation: synthetic(20, 3), test: synthetic(20, 7) });
const activities = createTrainingActivities({ cfg, tf, data });
// Typed wrappers: MockActivityEnvironment.run cannot infer through the interface's method types.
const trainInitial = (env: MockActivityEnvironment, input: TrainInitialInput): Promise<StagedModel> =>
  env.run((i: TrainInitialInput) => activities.trainInitialModel(i), input);
const evaluateSplits = (env: MockActivityEnvironment, input: EvaluateInput): Promise<EvaluatedSplits> =>
  env.run((i: EvaluateInput) => activities.evaluateOnSplits(i), input);

const fineTune = (env: MockActivityEnvironment, input: FineTuneInput): Promise<StagedModel> =>
  env.run((i: FineTuneInput) => activities.fineTuneChallenger(i), input);

/** A batch snapshot file of `count` synthetic samples, as takeBatch writes them. */
function snapshotFile(name: string, count: number, offset: number): string {
  const set = synthetic(count, offset);
  const samples = Array.from({ length: count }, (_, i) => ({
    id: `${name}-${i}`,
    label: set.labels[i]!,
    image: set.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
  }));
  const file = path.join(dir, `${name}.msb`);
  writeFileSync(file, encodeSnapshot(samples));
  return file;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainInitialModel', () => {
  it('heartbeats every batch and checkpoints every epoch', async () => {
    const env = new MockActivityEnvironment({ activityType: 'trainInitialModel' });
    const beats: TrainingHeartbeat[] = [];
    env.on('heartbeat', (d: TrainingHeartbeat) => beats.push(d));
    const staged = await trainInitial(env, { key: 'hb', epochs: 2 });
    expect(staged.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(staged.resumedFromEpoch).toBe(0);
    expect(existsSync(path.join(staged.dir, 'model.json'))).toBe(true);
    // One once the model is loaded, 64 samples / 16 = 4 batches per epoch, plus one per checkpoint.
    expect(beats.length).toBe(1 + 2 * 4 + 2);
    const last = beats.at(-1)!;
    expect(last.epochsCompleted).toBe(2);
    expect(existsSync(path.join(last.checkpointDir!, 'model.json'))).toBe(true);
    expect(beats.some((b) => b.progress.batch === 3 && Number.isFinite(b.progress.loss))).toBe(true);
  }, 60_000);

  it('resumes from the checkpoint named in the heartbeat details', async () => {
    const first = new MockActivityEnvironment({ activityType: 'trainInitialModel' });
    let afterOne: TrainingHeartbeat | undefined;
    first.on('heartbeat', (d: TrainingHeartbeat) => {
      if (d.epochsCompleted === 1 && !afterOne) afterOne = d;
    });
    await trainInitial(first, { key: 'resume', epochs: 1 });
    expect(afterOne?.checkpointDir).toBeDefined();

    const retry = new MockActivityEnvironment({
      activityType: 'trainInitialModel',
      attempt: 2,
      heartbeatDetails: afterOne,
    });
    const staged = await trainInitial(retry, { key: 'resume', epochs: 3 });
    expect(staged.resumedFromEpoch).toBe(1);
    expect(staged.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  }, 60_000);

  it('resumes from the newest checkpoint on disk when the heartbeat naming it never arrived', async () => {
    // The SDK throttles heartbeats: a worker killed soon after a checkpoint may not have reported it.
    await trainInitial(new MockActivityEnvironment({ activityType: 'trainInitialModel' }), {
      key: 'unreported',
      epochs: 2,
    });
    const retry = new MockActivityEnvironment({
      activityType: 'trainInitialModel',
      attempt: 2,
      heartbeatDetails: { epochsCompleted: 1, checkpointDir: path.join(dir, 'nowhere'), progress: {} },
    });
    const staged = await trainInitial(retry, { key: 'unreported', epochs: 3 });
    expect(staged.resumedFromEpoch).toBe(2);
    expect(staged.epochs.map((e) => e.epoch)).toEqual([2]);
  }, 60_000);

  it('starts over when the checkpoint in the details is gone', async () => {
    const env = new MockActivityEnvironment({
      activityType: 'trainInitialModel',
      attempt: 2,
      heartbeatDetails: { epochsCompleted: 1, checkpointDir: path.join(dir, 'nowhere'), progress: {} },
    });
    const staged = await trainInitial(env, { key: 'gone', epochs: 1 });
    expect(staged.resumedFromEpoch).toBe(0);
  }, 60_000);

  it('stops at the next batch when cancelled, keeping the last checkpoint', async () => {
    const env = new MockActivityEnvironment({ activityType: 'trainInitialModel' });
    const beats: TrainingHeartbeat[] = [];
    env.on('heartbeat', (d: TrainingHeartbeat) => {
      beats.push(d);
      // Cancel in the second epoch, after the first was checkpointed.
      if (d.progress.epoch === 1 && d.progress.batch === 1) env.cancel('CANCELLED');
    });
    await expect(trainInitial(env, { key: 'cancel', epochs: 5 })).rejects.toBeInstanceOf(CancelledFailure);
    expect(Math.max(...beats.map((b) => b.progress.epoch))).toBe(1);
    expect(beats.at(-1)!.epochsCompleted).toBe(1);
  }, 60_000);
});

describe('evaluateOnSplits', () => {
  it('scores validation and test and writes the report for the MLflow plots', async () => {
    const env = new MockActivityEnvironment({ activityType: 'trainInitialModel' });
    const staged = await trainInitial(env, { key: 'eval', epochs: 1 });
    const scores = await evaluateSplits(new MockActivityEnvironment(), {
      modelDir: staged.dir,
      report: { key: 'eval', name: 'initial' },
    });
    expect(scores.validation.count).toBe(20);
    expect(scores.test.count).toBe(20);
    expect(scores.test.accuracy).toBeGreaterThanOrEqual(0);
    expect(scores.test.perClassAccuracy).toHaveLength(10);
    const report = JSON.parse(readFileSync(scores.reportFile!, 'utf8')) as { confusion: number[][] };
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(20);
  }, 60_000);
});

describe('fineTuneChallenger', () => {
  it('replays earlier stream batches beside the train split, so their samples reach later champions', async () => {
    const champion = await trainInitial(new MockActivityEnvironment({ activityType: 'trainInitialModel' }), {
      key: 'ft-champion',
      epochs: 1,
    });
    const batch = snapshotFile('new', 200, 1);
    // REPLAY_SHARE 0.5 wants as many replayed samples as new ones (200); the train split alone has 64.
    const alone = await fineTune(new MockActivityEnvironment({ activityType: 'fineTuneChallenger' }), {
      key: 'ft-alone',
      championDir: champion.dir,
      batchFiles: [batch],
      epochs: 1,
    });
    expect(alone.mix).toEqual({ newCount: 200, replayCount: 64 });
    const earlier = [snapshotFile('earlier-1', 50, 2), snapshotFile('earlier-2', 40, 5)];
    const pooled = await fineTune(new MockActivityEnvironment({ activityType: 'fineTuneChallenger' }), {
      key: 'ft-pooled',
      championDir: champion.dir,
      batchFiles: [batch],
      replayBatchFiles: earlier,
      epochs: 1,
    });
    expect(pooled.mix).toEqual({ newCount: 200, replayCount: 64 + 50 + 40 });
    expect(pooled.hyperparameters.learningRate).toBe(cfg.training.fineTuneLearningRate);
  }, 60_000);

  it('reports per batch what it fed to the optimizer, across a resume from a checkpoint', async () => {
    const champion = await trainInitial(new MockActivityEnvironment({ activityType: 'trainInitialModel' }), {
      key: 'ev-champion',
      epochs: 1,
    });
    // Two partitions' batches; 40 and 23 samples (the last optimizer step of an epoch is a partial one).
    const files = [snapshotFile('ev-p0', 40, 1), snapshotFile('ev-p1', 23, 4)];
    const ids = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${i}`);
    const input = { key: 'ev', championDir: champion.dir, batchFiles: files, epochs: 2 };
    let afterOne: TrainingHeartbeat | undefined;
    const first = new MockActivityEnvironment({ activityType: 'fineTuneChallenger' });
    first.on('heartbeat', (d: TrainingHeartbeat) => {
      if (d.epochsCompleted === 1 && !afterOne) afterOne = d;
    });
    const whole = await fineTune(first, input);
    expect(whole.fedDigests).toEqual({
      'ev-p0': expectedFedDigest(ids('ev-p0', 40), 2),
      'ev-p1': expectedFedDigest(ids('ev-p1', 23), 2),
    });
    // A digest of one epoch too few differs: the check can fail.
    expect(expectedFedDigest(ids('ev-p0', 40), 1)).not.toBe(whole.fedDigests!['ev-p0']);

    // Killed in epoch 2 (its checkpoint never written), retried: the counts saved with epoch 1 carry on.
    const epochTwo = afterOne!.checkpointDir!.replace(/epoch-1$/, 'epoch-2');
    const killInEpochTwo = () => rmSync(epochTwo, { recursive: true, force: true });
    killInEpochTwo();
    const retry = new MockActivityEnvironment({
      activityType: 'fineTuneChallenger',
      attempt: 2,
      heartbeatDetails: afterOne,
    });
    const resumed = await fineTune(retry, input);
    expect(resumed.resumedFromEpoch).toBe(1);
    expect(resumed.fedDigests).toEqual(whole.fedDigests);

    // A checkpoint without saved counts (older code) claims no evidence rather than a wrong one.
    rmSync(`${afterOne!.checkpointDir!}.fed.json`);
    killInEpochTwo();
    const blind = await fineTune(
      new MockActivityEnvironment({
        activityType: 'fineTuneChallenger',
        attempt: 3,
        heartbeatDetails: afterOne,
      }),
      input,
    );
    expect(blind.resumedFromEpoch).toBe(1);
    expect(blind.fedDigests).toBeUndefined();
  }, 60_000);

  it('refuses a call without batch files', async () => {
    await expect(
      fineTune(new MockActivityEnvironment({ activityType: 'fineTuneChallenger' }), {
        key: 'ft-none',
        championDir: dir,
        batchFiles: [],
        epochs: 1,
      }),
    ).rejects.toThrow(/no batch files given/);
  });
});
