import fs from 'node:fs/promises';
import { MlflowInputError } from '../../../src/adapters/mlflow';
import {
  RETRAIN_ARTIFACTS,
  logBootstrapRun,
  logRetrainRun,
  planRetrainRun,
} from '../../../src/domain/tracking';
import { FakeMlflow } from './fake-mlflow';
import { bootstrapInput, retrainInput, target, versionFolder } from './run-fixtures';

describe('planRetrainRun', () => {
  it('plans a skipped cycle as a run with counts and the reason, and nothing to upload or register', () => {
    const plan = planRetrainRun(retrainInput('skipped'));
    expect(plan.tags).toMatchObject({
      decision: 'skipped',
      reason: 'skipped: not enough new data (3 records, need 100)',
      cycle_id: 'cycle-skipped',
      workflow_id: 'mlops-retrain',
      champion_before: 'v1',
      champion_after: 'v1',
    });
    expect(plan.metrics.map((m) => [m.key, m.value])).toEqual([
      ['consumed', 3],
      ['valid', 3],
      ['dead_lettered', 0],
    ]);
    expect(plan.datasets).toEqual([]);
    expect(plan.files).toEqual([]);
    expect(plan.register).toBeUndefined();
    expect(plan.params).toMatchObject({
      replay_share: 0.5,
      fine_tune_epochs: 1,
      promotion_min_gain: 0.002,
      promotion_test_tolerance: 0.005,
    });
  });

  it('plans a rejected cycle with the drift signal, both models, the batch and the challenger PNG, but no model upload', () => {
    const plan = planRetrainRun(retrainInput('rejected'));
    const value = (key: string) => plan.metrics.find((m) => m.key === key)?.value;
    expect(value('prequential_accuracy')).toBe(0.91);
    expect(value('champion_validation_accuracy')).toBe(0.9);
    expect(value('challenger_test_accuracy')).toBe(0.92);
    expect(value('validation_gain')).toBeCloseTo(0.03, 12);
    expect(value('test_drop')).toBeCloseTo(-0.02, 12);
    expect(value('dead_letters/garbage')).toBe(3);
    expect(value('dead_letters/label-out-of-range')).toBe(2);
    expect(plan.metrics.filter((m) => m.key === 'fine_tune_loss').map((m) => m.step)).toEqual([1]);
    expect(plan.params).toMatchObject({
      batch_id: 'mnist-stream-0-0-199',
      batch_offsets: '{"0":"0..199"}',
      learning_rate: 0.0005,
      new_samples: 195,
      replay_samples: 195,
    });
    expect(plan.datasets.map((d) => [d.dataset.name, d.dataset.digest, d.dataset.source_type])).toEqual([
      ['mnist-stream-0-0-199', 'e'.repeat(36), 'kafka'],
    ]);
    expect(plan.files.map((f) => f.path)).toEqual([RETRAIN_ARTIFACTS.challengerConfusionMatrix]);
    expect(plan.modelDir).toBeUndefined();
    expect(plan.register).toBeUndefined();
  });

  it('refuses inconsistent decisions, saying what is missing', () => {
    const promotedWithoutModel = { ...retrainInput('promoted', '/nowhere'), promotedVersion: undefined };
    expect(() => planRetrainRun(promotedWithoutModel)).toThrow(/needs promotedVersion/);
    const rejectedMovingChampion = { ...retrainInput('rejected'), championAfter: 'v9' };
    expect(() => planRetrainRun(rejectedMovingChampion)).toThrow(/keeps the champion/);
    const promotedElsewhere = { ...retrainInput('promoted', '/nowhere'), championAfter: 'v9' };
    expect(() => planRetrainRun(promotedElsewhere)).toThrow(MlflowInputError);
  });
});

describe('logRetrainRun', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  it('on promotion registers the challenger and moves champion from the bootstrap version to it', async () => {
    const fake = new FakeMlflow();
    const v1 = await versionFolder('v1');
    const v2 = await versionFolder('v2');
    dirs.push(v1, v2);
    await logBootstrapRun(fake, target, bootstrapInput(v1));
    expect(fake.aliases.get('mnist-cnn@champion')).toBe('1');

    const result = await logRetrainRun(fake, target, retrainInput('promoted', v2));
    expect(result.registeredVersion).toBe('2');
    expect(fake.aliases.get('mnist-cnn@champion')).toBe('2');
    const run = fake.runById(result.runId);
    expect(run.tags.get('decision')).toBe('promoted');
    expect(run.tags.get('model_version_id')).toBe('v2');
    expect(fake.artifactPaths(run)).toEqual([
      'model/metadata.json',
      'model/model.json',
      'model/weights.bin',
      RETRAIN_ARTIFACTS.challengerConfusionMatrix,
    ]);

    const again = await logRetrainRun(fake, target, retrainInput('promoted', v2));
    expect(again).toMatchObject({ runId: result.runId, registeredVersion: '2', alreadyComplete: true });
    expect(fake.versions).toHaveLength(2);
  });

  it('logs rejected and skipped cycles as their own finished runs, leaving champion where it was', async () => {
    const fake = new FakeMlflow();
    const rejected = await logRetrainRun(fake, target, retrainInput('rejected'));
    const skipped = await logRetrainRun(fake, target, retrainInput('skipped'));
    expect(rejected.runId).not.toBe(skipped.runId);
    expect(rejected.registeredVersion).toBeUndefined();
    expect(fake.runs.map((r) => r.run.info.status)).toEqual(['FINISHED', 'FINISHED']);
    expect(fake.versions).toEqual([]);
    expect(fake.aliases.size).toBe(0);
    expect(fake.artifactPaths(fake.runById(skipped.runId))).toEqual([]);
  });
});
