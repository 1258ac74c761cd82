import fs from 'node:fs/promises';
import { MlflowInputError } from '../../../src/adapters/mlflow';
import {
  BOOTSTRAP_ARTIFACTS,
  CHAMPION_ALIAS,
  LOGGING_STATE_TAG,
  logBootstrapRun,
  planBootstrapRun,
} from '../../../src/domain/tracking';
import { FakeMlflow } from './fake-mlflow';
import { bootstrapInput, target, versionFolder } from './run-fixtures';
import { PNG_SIGNATURE } from './png-reader';

describe('planBootstrapRun', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await versionFolder('v1');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('logs hyper-parameters as params in snake_case, never as metrics', () => {
    const plan = planBootstrapRun(bootstrapInput(dir));
    expect(plan.params).toMatchObject({
      optimizer: 'adam',
      learning_rate: 0.001,
      batch_size: 64,
      epochs: 2,
      seed: 42,
      train_samples: 500,
      split_manifest_id: 'a'.repeat(64),
    });
    const metricKeys = new Set(plan.metrics.map((m) => m.key));
    for (const key of Object.keys(plan.params)) expect(metricKeys.has(key)).toBe(false);
  });

  it('logs the epoch curves by step and the final scores with per-digit accuracy', () => {
    const plan = planBootstrapRun(bootstrapInput(dir));
    const series = (key: string) => plan.metrics.filter((m) => m.key === key).map((m) => [m.step, m.value]);
    expect(series('loss')).toEqual([
      [1, 1.2],
      [2, 0.7],
    ]);
    expect(series('val_accuracy')).toEqual([
      [1, 0.7],
      [2, 0.82],
    ]);
    expect(series('images_per_second')).toEqual([
      [1, 800],
      [2, 850],
    ]);
    expect(series('test_accuracy')).toEqual([[0, 0.99]]);
    expect(series('validation_loss')).toEqual([[0, 0.6]]);
    expect(series('test_class_accuracy/digit_3')).toEqual([[0, 0.9]]);
    expect(plan.metrics.filter((m) => m.key.startsWith('test_class_accuracy/'))).toHaveLength(10);
  });

  it('records the three splits as dataset inputs digested by their manifest hash', () => {
    const plan = planBootstrapRun(bootstrapInput(dir, { idxDir: '/data/mnist' }));
    expect(plan.datasets.map((d) => [d.dataset.name, d.dataset.digest, d.tags?.[0]?.value])).toEqual([
      ['mnist-train', 'b'.repeat(36), 'training'],
      ['mnist-validation', 'c'.repeat(36), 'validation'],
      ['mnist-test', 'd'.repeat(36), 'test'],
    ]);
    const testSource = JSON.parse(plan.datasets[2]!.dataset.source) as {
      uri: string;
      files: Record<string, string>;
    };
    expect(testSource.uri).toBe('/data/mnist/t10k-images-idx3-ubyte');
    expect(testSource.files['t10k-images-idx3-ubyte']).toBe('2'.repeat(64));
    expect(JSON.parse(plan.datasets[0]!.dataset.profile!)).toMatchObject({
      num_rows: 500,
      split_sha256: 'b'.repeat(64),
    });
  });

  it('tags the run and plans the PNGs, the model folder and the champion registration', () => {
    const plan = planBootstrapRun(bootstrapInput(dir));
    expect(plan.tags).toMatchObject({
      git_commit: 'f'.repeat(40),
      model_version_id: 'm20250101T000000Z-aaaa',
      workflow_id: 'mlops-bootstrap',
      decision: 'promoted',
    });
    expect(plan.files.map((f) => f.path)).toEqual([
      BOOTSTRAP_ARTIFACTS.confusionMatrix,
      BOOTSTRAP_ARTIFACTS.misclassified,
    ]);
    for (const f of plan.files) expect(Buffer.from(f.bytes.subarray(0, 8))).toEqual(PNG_SIGNATURE);
    expect(plan.modelDir).toBe(dir);
    expect(plan.register?.aliases).toEqual([CHAMPION_ALIAS]);
  });
});

describe('logBootstrapRun', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await versionFolder('v1');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('logs one finished run with the artifacts, registers version 1 and points champion at it', async () => {
    const fake = new FakeMlflow();
    const result = await logBootstrapRun(fake, target, bootstrapInput(dir));
    expect(result).toMatchObject({ registeredVersion: '1', created: true, alreadyComplete: false });
    const run = fake.runById(result.runId);
    expect(run.run.info.status).toBe('FINISHED');
    expect(run.tags.get(LOGGING_STATE_TAG)).toBe('complete');
    expect(fake.artifactPaths(run)).toEqual([
      'model/metadata.json',
      'model/model.json',
      'model/weights.bin',
      BOOTSTRAP_ARTIFACTS.confusionMatrix,
      BOOTSTRAP_ARTIFACTS.misclassified,
    ]);
    expect(fake.versions).toHaveLength(1);
    expect(fake.versions[0]!.source).toBe(`${run.run.info.artifact_uri}/model`);
    expect(fake.aliases.get('mnist-cnn@champion')).toBe('1');
  });

  it('on a retry after a failure half-way, completes the same run without doubling anything', async () => {
    const fake = new FakeMlflow();
    fake.failOnce('registerModelVersion');
    await expect(logBootstrapRun(fake, target, bootstrapInput(dir))).rejects.toThrow(/injected failure/);
    expect(fake.runs[0]!.run.info.status).toBe('FAILED');
    const pointsAfterFirst = fake.runs[0]!.metrics.length;

    const retry = await logBootstrapRun(fake, target, bootstrapInput(dir));
    expect(retry.created).toBe(false);
    expect(fake.runs).toHaveLength(1);
    expect(fake.runs[0]!.metrics).toHaveLength(pointsAfterFirst);
    expect(fake.runs[0]!.metrics.filter((m) => m.key === 'loss')).toHaveLength(2);
    expect(fake.runs[0]!.inputs).toHaveLength(3);
    expect(fake.versions).toHaveLength(1);
    expect(fake.runs[0]!.run.info.status).toBe('FINISHED');
    expect(fake.aliases.get('mnist-cnn@champion')).toBe('1');
  });

  it('once complete, a repeated call sends nothing and leaves a since-moved alias alone', async () => {
    const fake = new FakeMlflow();
    const first = await logBootstrapRun(fake, target, bootstrapInput(dir));
    fake.aliases.set('mnist-cnn@champion', '7'); // a later retrain promoted another version
    const callsBefore = fake.calls.length;
    const again = await logBootstrapRun(fake, target, bootstrapInput(dir));
    expect(again).toMatchObject({ runId: first.runId, registeredVersion: '1', alreadyComplete: true });
    expect(fake.calls.slice(callsBefore)).toEqual(['getOrCreateExperiment', 'getOrCreateRun']);
    expect(fake.aliases.get('mnist-cnn@champion')).toBe('7');
  });

  it('refuses to change a param of an existing run, naming the param and both values', async () => {
    const fake = new FakeMlflow();
    fake.failOnce('upload');
    await expect(logBootstrapRun(fake, target, bootstrapInput(dir))).rejects.toThrow();
    const changed = bootstrapInput(dir, { params: { train_samples: 600 } });
    const err = await logBootstrapRun(fake, target, changed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowInputError);
    expect((err as Error).message).toMatch(/train_samples: stored "500", now "600"/);
  });

  it('checks the version folder before creating anything', async () => {
    const fake = new FakeMlflow();
    await fs.rm(`${dir}/metadata.json`);
    await expect(logBootstrapRun(fake, target, bootstrapInput(dir))).rejects.toThrow(
      /lacks metadata.json; pass the folder of the stored version/,
    );
    expect(fake.calls).toEqual([]);
  });

  it('turns bad evaluation input into a non-retryable error before any run exists', async () => {
    const fake = new FakeMlflow();
    const input = bootstrapInput(dir);
    const bad = {
      ...input,
      evaluation: { ...input.evaluation, test: { ...input.evaluation.test, confusion: [[1]] } },
    };
    const err = await logBootstrapRun(fake, target, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowInputError);
    expect((err as Error).message).toMatch(/cannot log the bootstrap run: a confusion matrix must be 10×10/);
    expect(fake.calls).toEqual([]);
  });
});
