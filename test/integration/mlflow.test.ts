/**
 * The MLflow client against the real tracking server of the native stack (`npm run stack -- up`), at
 * MLFLOW_TRACKING_URI. Every name is unique per test run; what the test creates is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { MlflowClient, MlflowError, type Run } from '../../src/adapters/mlflow';

const config = loadConfig();
const client = new MlflowClient(config.mlflow);
const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
const experimentName = `it-mlflow-${suffix}`;
const modelName = `it-mnist-cnn-${suffix}`;
const timings: Record<string, number> = {};

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round((performance.now() - t0) * 10) / 10;
  }
}

describe(`MLflow client against ${config.mlflow.trackingUri}`, () => {
  let experimentId: string;
  let run: Run;
  let tmp: string;
  const toDeleteExperiments: string[] = [];

  beforeAll(async () => {
    await client.health().catch((err: unknown) => {
      throw new Error(
        `MLflow is not reachable at ${config.mlflow.trackingUri}; start the stack with \`npm run stack -- up\` (${String(err)})`,
      );
    });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'it-mlflow-'));
  });

  afterAll(async () => {
    await client.registry.deleteRegisteredModel(modelName).catch(() => undefined);
    for (const id of toDeleteExperiments) await client.tracking.deleteExperiment(id).catch(() => undefined);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
    console.log(
      `MLflow request timings (ms) against ${config.mlflow.trackingUri}:\n${JSON.stringify(timings, null, 1)}`,
    );
  });

  it('gets or creates the experiment, and finds the same one again', async () => {
    const created = await timed('experiment get-or-create (create)', () =>
      client.tracking.getOrCreateExperiment(experimentName, { tags: { purpose: 'integration-test' } }),
    );
    experimentId = created.experiment_id;
    toDeleteExperiments.push(experimentId);
    const again = await timed('experiment get-or-create (found)', () =>
      client.tracking.getOrCreateExperiment(experimentName),
    );
    expect(again.experiment_id).toBe(experimentId);
    expect(again.lifecycle_stage).toBe('active');
  });

  it('creates one run per idempotency key, even when asked twice', async () => {
    const key = `workflow-${suffix}/train`;
    const first = await timed('run get-or-create (create)', () =>
      client.tracking.getOrCreateRun({ experimentId, idempotencyKey: key, runName: 'it-train' }),
    );
    const retry = await timed('run get-or-create (found)', () =>
      client.tracking.getOrCreateRun({ experimentId, idempotencyKey: key, runName: 'it-train' }),
    );
    expect(first.created).toBe(true);
    expect(retry.created).toBe(false);
    expect(retry.run.info.run_id).toBe(first.run.info.run_id);
    run = first.run;
    expect(run.info.artifact_uri).toMatch(/^mlflow-artifacts:/);
  });

  it('logs params, tags and metrics over steps in chunks and reads the history back', async () => {
    const loss = Array.from({ length: 30 }, (_, step) => ({ key: 'loss', value: 2 / (step + 1), step }));
    loss[3]!.value = NaN; // a diverged step must survive the round trip
    const batchLoss = Array.from({ length: 1200 }, (_, step) => ({
      key: 'batch_loss',
      value: step / 1000,
      step,
    }));
    const params = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`p${i}`, `v${i}`]));
    const r = await timed('log-batch 1230 metrics + 130 params + 1 tag (total)', () =>
      client.tracking.logBatch(run.info.run_id, {
        metrics: [...loss, ...batchLoss],
        params,
        tags: { stage: 'it' },
      }),
    );
    expect(r.requests).toBe(2);

    const history = await timed('metric history (30 points)', () =>
      client.tracking.getMetricHistory(run.info.run_id, 'loss'),
    );
    expect(history.map((p) => p.step)).toEqual(loss.map((m) => m.step));
    expect(history[3]!.value).toBeNaN();
    expect(history.filter((_, i) => i !== 3).map((p) => p.value)).toEqual(
      loss.filter((_, i) => i !== 3).map((m) => m.value),
    );
    const batchHistory = await timed('metric history (1200 points)', () =>
      client.tracking.getMetricHistory(run.info.run_id, 'batch_loss'),
    );
    expect(batchHistory).toHaveLength(1200);

    const fetched = await timed('runs/get', () => client.tracking.getRun(run.info.run_id));
    expect(fetched.data.params).toHaveLength(130);
    expect(fetched.data.params).toContainEqual({ key: 'p129', value: 'v129' });
    expect(fetched.data.tags).toContainEqual({ key: 'stage', value: 'it' });
  });

  it('records a dataset input', async () => {
    await timed('log-inputs', () =>
      client.tracking.logInputs(run.info.run_id, [
        {
          dataset: {
            name: 'mnist-stream-batch-1',
            digest: 'a1b2c3d4',
            source_type: 'kafka',
            source: JSON.stringify({ topic: 'mnist.samples', offsets: [0, 999] }),
            schema: JSON.stringify({ image: 'uint8[784]', label: 'uint8' }),
            profile: JSON.stringify({ num_rows: 1000 }),
          },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ]),
    );
    const fetched = await client.tracking.getRun(run.info.run_id);
    expect(fetched.inputs?.dataset_inputs?.[0]?.dataset).toMatchObject({
      name: 'mnist-stream-batch-1',
      digest: 'a1b2c3d4',
    });
  });

  it('uploads a model folder through the artifact proxy, lists it and downloads it unchanged', async () => {
    const local = path.join(tmp, 'model');
    await fs.mkdir(path.join(local, 'weights'), { recursive: true });
    const weights = randomBytes(300 * 1024);
    await fs.writeFile(path.join(local, 'model.json'), JSON.stringify({ format: 'layers-model', suffix }));
    await fs.writeFile(path.join(local, 'weights', 'group1-shard1of1.bin'), weights);

    const up = await timed('upload folder (2 files, ~300 KiB)', () =>
      client.artifacts.uploadDirectory(run.info.artifact_uri, local, 'model'),
    );
    expect(up.files).toBe(2);

    const top = await timed('list artifacts', () => client.artifacts.list(run.info.artifact_uri));
    expect(top).toEqual([{ path: 'model', is_dir: true }]);
    const files = await client.artifacts.listFiles(run.info.artifact_uri, 'model');
    expect(files.map((f) => [f.path, f.file_size])).toEqual([
      ['model/model.json', (await fs.stat(path.join(local, 'model.json'))).size],
      ['model/weights/group1-shard1of1.bin', weights.length],
    ]);

    const got = await timed('download 300 KiB file', () =>
      client.artifacts.download(run.info.artifact_uri, 'model/weights/group1-shard1of1.bin'),
    );
    expect(Buffer.from(got).equals(weights)).toBe(true);

    const copy = path.join(tmp, 'copy');
    await timed('download folder', () =>
      client.artifacts.downloadDirectory(run.info.artifact_uri, 'model', copy),
    );
    expect(await fs.readFile(path.join(copy, 'model.json'), 'utf8')).toBe(
      await fs.readFile(path.join(local, 'model.json'), 'utf8'),
    );
    expect((await fs.readFile(path.join(copy, 'weights', 'group1-shard1of1.bin'))).equals(weights)).toBe(
      true,
    );
  });

  it('registers a model version from the run, points champion at it and reads it back by alias', async () => {
    await timed('registered model get-or-create', () =>
      client.registry.getOrCreateRegisteredModel(modelName),
    );
    const source = `${run.info.artifact_uri}/model`;
    const { version, created } = await timed('model version create + wait READY', () =>
      client.registry.registerModelVersion({ name: modelName, source, runId: run.info.run_id }),
    );
    expect(created).toBe(true);
    expect(version.status).toBe('READY');
    const retry = await client.registry.registerModelVersion({
      name: modelName,
      source,
      runId: run.info.run_id,
    });
    expect(retry).toMatchObject({ created: false, version: { version: version.version } });

    await timed('set alias', () => client.registry.setAlias(modelName, 'champion', version.version));
    const champion = await timed('get version by alias', () =>
      client.registry.getModelVersionByAlias(modelName, 'champion'),
    );
    expect(champion).toMatchObject({ version: version.version, run_id: run.info.run_id, source });
    expect(champion?.aliases).toContain('champion');

    await client.registry.deleteAlias(modelName, 'champion');
    await expect(client.registry.getModelVersionByAlias(modelName, 'champion')).resolves.toBeUndefined();
  });

  it('finishes the run', async () => {
    const info = await timed('runs/update', () => client.tracking.finishRun(run.info.run_id));
    expect(info.status).toBe('FINISHED');
    expect(info.end_time).toBeGreaterThanOrEqual(info.start_time ?? 0);
  });

  it('maps a real MLflow error to MlflowError', async () => {
    const err = await client.tracking.getRun('0'.repeat(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST', retryable: false });
  });

  it('restores a deleted experiment of the same name, or refuses when asked to', async () => {
    const name = `${experimentName}-deleted`;
    const e = await client.tracking.getOrCreateExperiment(name);
    toDeleteExperiments.push(e.experiment_id);
    await client.tracking.deleteExperiment(e.experiment_id);
    await expect(client.tracking.getOrCreateExperiment(name, { onDeleted: 'error' })).rejects.toThrow(
      /is deleted/,
    );
    const restored = await client.tracking.getOrCreateExperiment(name);
    expect(restored).toMatchObject({ experiment_id: e.experiment_id, lifecycle_stage: 'active' });
  });
});
