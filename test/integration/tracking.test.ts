/**
 * Bootstrap and retrain runs logged to the real MLflow server of the native stack (MLFLOW_TRACKING_URI),
 * for a tiny CNN trained here on 500 MNIST samples. Experiment and registered model names are unique per
 * test run and deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { MlflowClient, type FileInfo } from '../../src/adapters/mlflow';
import { loadTf } from '../../src/adapters/tf-backend';
import { loadConfig } from '../../src/config';
import { indexListSha256 } from '../../src/domain/data/split';
import type { MnistSet } from '../../src/domain/data/types';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate, predict, type Evaluation } from '../../src/domain/model/evaluate';
import type { Hyperparameters } from '../../src/domain/model/hyperparameters';
import { modelWriter } from '../../src/domain/model/persistence';
import { train, type EpochMetrics } from '../../src/domain/model/train';
import { ModelStore } from '../../src/domain/registry/store';
import {
  BOOTSTRAP_ARTIFACTS,
  CHAMPION_ALIAS,
  LOGGING_STATE_TAG,
  RETRAIN_ARTIFACTS,
  logBootstrapRun,
  logRetrainRun,
  pickMisclassified,
  type BootstrapRunInput,
  type ManifestSummary,
} from '../../src/domain/tracking';
import { readMnist } from '../support/mnist-fixture';

const config = loadConfig();
const client = new MlflowClient(config.mlflow);
const tf = loadTf('cpu');
const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
const target = { experiment: `it-tracking-${suffix}`, registeredModel: `it-tracking-cnn-${suffix}` };
const HYPER: Hyperparameters = { optimizer: 'adam', learningRate: 0.001, batchSize: 64, epochs: 2, seed: 7 };
const measured: Record<string, number | string> = {};

const trainSet = readMnist('train', 500);
const validation = readMnist('train', 100, 500);
const stream = readMnist('train', 200, 600);
const testSet = readMnist('t10k', 200);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const manifest: ManifestSummary = {
  id: indexListSha256(range(0, 800)),
  seed: HYPER.seed,
  sources: {},
  splits: {
    train: { source: 'train', count: 500, sha256: indexListSha256(range(0, 500)) },
    validation: { source: 'train', count: 100, sha256: indexListSha256(range(500, 100)) },
    test: { source: 'test', count: 200, sha256: indexListSha256(range(0, 200)) },
  },
};

async function scores(model: Parameters<typeof evaluate>[1]) {
  return { validation: await evaluate(tf, model, validation), test: await evaluate(tf, model, testSet) };
}

async function misclassifiedOf(model: Parameters<typeof predict>[1], set: MnistSet) {
  const predictions = await predict(tf, model, set.images);
  return pickMisclassified(
    set,
    predictions.map((p) => p.digit),
  );
}

const byPath = (files: FileInfo[]) => Object.fromEntries(files.map((f) => [f.path, f.file_size ?? -1]));

describe(`MLflow runs of the pipeline against ${config.mlflow.trackingUri}`, () => {
  let tmp: string;
  let store: ModelStore;
  let model: ReturnType<typeof createCnn>;
  let bootstrap: BootstrapRunInput;
  let bootstrapRunId: string;
  let experimentId: string | undefined;

  beforeAll(async () => {
    await client.health().catch((err: unknown) => {
      throw new Error(
        `MLflow is not reachable at ${config.mlflow.trackingUri}; start the stack with \`npm run stack -- up\` (${String(err)})`,
      );
    });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'it-tracking-'));
    store = new ModelStore(path.join(tmp, 'models'));

    const t0 = performance.now();
    model = createCnn(tf, HYPER);
    const history: EpochMetrics[] = [];
    await train(tf, model, trainSet, {
      hyper: HYPER,
      validation,
      onEpochEnd: (_e, _m, metrics) => void history.push(metrics),
    });
    const evaluation = await scores(model);
    const versionId = `it-${suffix}-v1`;
    const stored = await store.storeVersion(modelWriter(tf, model), {
      versionId,
      createdAt: new Date().toISOString(),
      metrics: {
        validation_accuracy: evaluation.validation.accuracy,
        test_accuracy: evaluation.test.accuracy,
      },
      hyperparameters: { ...HYPER },
      seed: HYPER.seed,
      lineage: { splitManifestHash: manifest.id, batchIds: [], parentVersionId: null },
      gitCommit: 'integration-test',
    });
    measured['train 2 epochs on 500 + evaluate + store (ms)'] = Math.round(performance.now() - t0);
    bootstrap = {
      key: `it-bootstrap-${suffix}`,
      workflowId: `it-bootstrap-${suffix}`,
      gitCommit: 'integration-test',
      version: { id: versionId, dir: stored.path },
      hyperparameters: { ...HYPER },
      params: { train_samples: trainSet.count },
      epochs: history,
      evaluation,
      misclassified: await misclassifiedOf(model, testSet),
      manifest,
    };
  });

  afterAll(async () => {
    model?.dispose();
    await client.registry.deleteRegisteredModel(target.registeredModel).catch(() => undefined);
    if (experimentId) await client.tracking.deleteExperiment(experimentId).catch(() => undefined);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
    console.log(
      `MLflow run logging against ${config.mlflow.trackingUri}:\n${JSON.stringify(measured, null, 1)}`,
    );
  });

  it('logs the bootstrap run with params, curves, scores, datasets, artifacts and the champion version', async () => {
    let t0 = performance.now();
    const first = await logBootstrapRun(client, target, bootstrap);
    measured['logBootstrapRun, first call (ms)'] = Math.round(performance.now() - t0);
    expect(first).toMatchObject({ created: true, alreadyComplete: false, registeredVersion: '1' });
    bootstrapRunId = first.runId;
    experimentId = first.experimentId;

    t0 = performance.now();
    const again = await logBootstrapRun(client, target, bootstrap);
    measured['logBootstrapRun, repeated after completion (ms)'] = Math.round(performance.now() - t0);
    expect(again).toMatchObject({ runId: first.runId, alreadyComplete: true, registeredVersion: '1' });

    const run = await client.tracking.getRun(first.runId);
    expect(run.info.status).toBe('FINISHED');
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      learning_rate: '0.001',
      batch_size: '64',
      epochs: '2',
      optimizer: 'adam',
      train_samples: '500',
    });
    const metricKeys = new Set((run.data.metrics ?? []).map((m) => m.key));
    for (const key of Object.keys(params)) expect(metricKeys.has(key)).toBe(false);
    for (const key of [
      'test_accuracy',
      'test_loss',
      'validation_accuracy',
      'validation_loss',
      'test_class_accuracy/digit_0',
    ]) {
      expect(metricKeys.has(key)).toBe(true);
    }
    const loss = await client.tracking.getMetricHistory(first.runId, 'loss');
    expect(loss.map((p) => p.step)).toEqual([1, 2]);
    expect(loss.map((p) => p.value)).toEqual(bootstrap.epochs.map((e) => expect.closeTo(e.loss, 6)));
    expect(
      (await client.tracking.getMetricHistory(first.runId, 'images_per_second')).map((p) => p.step),
    ).toEqual([1, 2]);

    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      git_commit: 'integration-test',
      model_version_id: bootstrap.version.id,
      workflow_id: bootstrap.workflowId,
    });
    expect(run.inputs?.dataset_inputs?.map((d) => [d.dataset.name, d.dataset.digest])).toEqual(
      expect.arrayContaining([
        ['mnist-train', manifest.splits.train.sha256.slice(0, 36)],
        ['mnist-validation', manifest.splits.validation.sha256.slice(0, 36)],
        ['mnist-test', manifest.splits.test.sha256.slice(0, 36)],
      ]),
    );

    const files = byPath(await client.artifacts.listFiles(run.info.artifact_uri));
    expect(Object.keys(files).sort()).toEqual(
      [
        'model/metadata.json',
        'model/model.json',
        'model/weights.bin',
        BOOTSTRAP_ARTIFACTS.confusionMatrix,
        BOOTSTRAP_ARTIFACTS.misclassified,
      ].sort(),
    );
    for (const [p, size] of Object.entries(files)) measured[`artifact ${p} (bytes)`] = size;
    const png = Buffer.from(
      await client.artifacts.download(run.info.artifact_uri, BOOTSTRAP_ARTIFACTS.confusionMatrix),
    );
    expect(PNG.sync.read(png).width).toBeGreaterThan(500);

    const version = await client.registry.getModelVersion(target.registeredModel, '1');
    expect(version).toMatchObject({
      status: 'READY',
      run_id: first.runId,
      source: `${run.info.artifact_uri}/model`,
    });
    const champion = await client.registry.getModelVersionByAlias(target.registeredModel, CHAMPION_ALIAS);
    expect(champion?.version).toBe('1');
  });

  it('completes an interrupted bootstrap run again without doubling metric history or failing on params', async () => {
    // As if an attempt had died after logging but before marking the run complete.
    await client.tracking.setTag(bootstrapRunId, LOGGING_STATE_TAG, 'started');
    const t0 = performance.now();
    const retry = await logBootstrapRun(client, target, bootstrap);
    measured['logBootstrapRun, retry re-logging everything (ms)'] = Math.round(performance.now() - t0);
    expect(retry).toMatchObject({
      runId: bootstrapRunId,
      created: false,
      alreadyComplete: false,
      registeredVersion: '1',
    });
    expect(
      await client.tracking.findRunsByTag([retry.experimentId], 'workflow_id', bootstrap.workflowId),
    ).toHaveLength(1);
    expect(await client.tracking.getMetricHistory(bootstrapRunId, 'loss')).toHaveLength(2);
    expect(await client.tracking.getMetricHistory(bootstrapRunId, 'test_accuracy')).toHaveLength(1);
    expect(await client.registry.findModelVersionsByRun(target.registeredModel, bootstrapRunId)).toHaveLength(
      1,
    );
  });

  it('logs a promoted retrain run that registers the challenger and moves champion to it', async () => {
    const before = await scores(model);
    const history: EpochMetrics[] = [];
    const fineTune = { ...HYPER, epochs: 1, learningRate: 0.0005 };
    await train(tf, model, stream, {
      hyper: fineTune,
      validation,
      onEpochEnd: (_e, _m, m) => void history.push(m),
    });
    const after: { validation: Evaluation; test: Evaluation } = await scores(model);
    const stored = await store.storeVersion(modelWriter(tf, model), {
      versionId: `it-${suffix}-v2`,
      createdAt: new Date().toISOString(),
      metrics: { validation_accuracy: after.validation.accuracy },
      hyperparameters: { ...fineTune },
      seed: HYPER.seed,
      lineage: { splitManifestHash: null, batchIds: ['it-batch'], parentVersionId: bootstrap.version.id },
      gitCommit: 'integration-test',
    });
    const t0 = performance.now();
    const result = await logRetrainRun(client, target, {
      key: `it-retrain-${suffix}`,
      workflowId: 'it-retrain',
      cycleId: `it-retrain-${suffix}`,
      gitCommit: 'integration-test',
      decision: 'promoted',
      reason: 'integration test promotes unconditionally',
      championBefore: bootstrap.version.id,
      championAfter: `it-${suffix}-v2`,
      settings: { fineTuneEpochs: 1, replayShare: 0, promotionMinGain: 0, promotionTestTolerance: 1 },
      hyperparameters: fineTune,
      mix: { newCount: stream.count, replayCount: 0 },
      counts: {
        consumed: 203,
        valid: 200,
        deadLettered: 3,
        deadLettersByReason: { garbage: 2, 'label-out-of-range': 1 },
      },
      batch: {
        batchId: 'it-stream-0-0-202',
        sha256: indexListSha256(range(600, 200)),
        records: 200,
        topic: 'it-stream',
        offsets: { '0': '0..202' },
      },
      prequential: await evaluate(tf, model, stream),
      champion: before,
      challenger: after,
      epochs: history,
      promotedVersion: { id: `it-${suffix}-v2`, dir: stored.path },
    });
    measured['logRetrainRun, promoted (ms)'] = Math.round(performance.now() - t0);
    expect(result.registeredVersion).toBe('2');
    expect(
      (await client.registry.getModelVersionByAlias(target.registeredModel, CHAMPION_ALIAS))?.version,
    ).toBe('2');

    const run = await client.tracking.getRun(result.runId);
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      decision: 'promoted',
      champion_before: bootstrap.version.id,
      champion_after: `it-${suffix}-v2`,
    });
    const metrics = Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics).toMatchObject({ consumed: 203, dead_lettered: 3, 'dead_letters/garbage': 2 });
    expect(await client.tracking.getMetricHistory(result.runId, 'fine_tune_loss')).toHaveLength(1);
    const files = byPath(await client.artifacts.listFiles(run.info.artifact_uri));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'model/model.json',
        'model/weights.bin',
        RETRAIN_ARTIFACTS.challengerConfusionMatrix,
      ]),
    );
  });

  it('logs a skipped cycle as its own finished run and leaves champion where it is', async () => {
    const result = await logRetrainRun(client, target, {
      key: `it-skip-${suffix}`,
      workflowId: 'it-retrain',
      cycleId: `it-skip-${suffix}`,
      gitCommit: 'integration-test',
      decision: 'skipped',
      reason: 'skipped: not enough new data (4 records, need 100)',
      championBefore: `it-${suffix}-v2`,
      championAfter: `it-${suffix}-v2`,
      settings: { fineTuneEpochs: 1, replayShare: 0, promotionMinGain: 0, promotionTestTolerance: 1 },
      counts: { consumed: 4, valid: 4, deadLettered: 0 },
    });
    expect(result.registeredVersion).toBeUndefined();
    const run = await client.tracking.getRun(result.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags?.find((t) => t.key === 'decision')?.value).toBe('skipped');
    expect(
      (await client.registry.getModelVersionByAlias(target.registeredModel, CHAMPION_ALIAS))?.version,
    ).toBe('2');
  });
});
