/**
 * One full cycle on the real stack with the real activities, on small data and private names (folders,
 * topic, consumer group, MLflow experiment and model, task queues): bootstrap → stream → retrain, then
 * the ledger, the committed offsets, the MLflow run and alias, and the model store are checked.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { consumerLag } from '../../src/adapters/kafka/offsets';
import { createKafka } from '../../src/adapters/kafka/client';
import { MlflowClient } from '../../src/adapters/mlflow';
import { Ledger } from '../../src/adapters/pg/ledger';
import { ModelStore } from '../../src/domain/registry/store';
import { bootstrapWorkflow, retrainWorkflow, streamNewDataWorkflow } from '../../src/workflows';
import { startWorkers, type WorkersHandle } from '../../src/workers/start';
import { pipelineSuite } from '../support/pipeline-env';

const { tag, dir, cfg } = pipelineSuite('e2e', {
  RETRAIN_MIN_RECORDS: '100',
  RETRAIN_MAX_RECORDS: '300',
  RETRAIN_MAX_WAIT_MS: '5000',
});
const ioTaskQueue = `e2e-io-${tag}`;

let workers: WorkersHandle;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  workers = await startWorkers(cfg, { ioTaskQueue, trainingTaskQueue: `e2e-training-${tag}` });
  connection = await Connection.connect({ address: cfg.temporal.address });
  client = new Client({ connection, namespace: cfg.temporal.namespace });
}, 120_000);

afterAll(async () => {
  await workers?.shutdown();
  await connection?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('bootstraps, streams 300 samples, retrains on them and leaves every record consistent', async () => {
  const t0 = Date.now();
  const boot = await client.workflow.execute(bootstrapWorkflow, {
    taskQueue: ioTaskQueue,
    workflowId: `e2e-bootstrap-${tag}`,
    args: [{}],
  });
  const tBoot = Date.now();
  expect(boot.status).toBe('trained');
  if (boot.status !== 'trained') return;
  expect(boot.scores.test.accuracy).toBeGreaterThan(0.8);

  const retrainId = `e2e-retrain-${tag}`;
  const streamed = await client.workflow.execute(streamNewDataWorkflow, {
    taskQueue: ioTaskQueue,
    workflowId: `e2e-stream-${tag}`,
    args: [{ count: 300, lagThreshold: 300, retrainWorkflowId: retrainId }],
  });
  expect(streamed).toMatchObject({ published: 300, skipped: 0, lag: 300 });
  expect(streamed.retrain?.status).toBe('started');
  const retrain = await client.workflow.getHandle<typeof retrainWorkflow>(retrainId).result();
  const tRetrain = Date.now();
  console.log(
    `e2e: bootstrap ${((tBoot - t0) / 1000).toFixed(1)} s, stream + retrain ${((tRetrain - tBoot) / 1000).toFixed(1)} s; ` +
      `retrain ${retrain.decision}: ${retrain.reason}`,
  );
  expect(['promoted', 'rejected']).toContain(retrain.decision);
  expect(retrain.counts).toEqual({ consumed: 300, valid: 300, deadLettered: 0 });

  // Ledger: the batch is used by this cycle, the cycle is recorded.
  const ledger = await Ledger.open(cfg.postgres);
  const kafka = createKafka(cfg.kafka);
  try {
    const batch = await ledger.getBatch(retrain.batchIds![0]!);
    expect(batch).toMatchObject({ status: 'used', retrainCycleId: retrain.cycleId, validCount: 300 });
    expect(batch!.filePath).toContain(`${path.sep}used_for_training${path.sep}`);
    expect(await ledger.getRetrainCycle(retrain.cycleId)).toMatchObject({ decision: retrain.decision });
    // Offsets: committed past the batch, nothing left to read.
    expect((await consumerLag(kafka, cfg.kafka.consumerGroup, cfg.kafka.topic)).total).toBe(0);
  } finally {
    await ledger.close();
  }

  // MLflow: the champion alias points at the champion's registered version; the retrain run exists.
  const mlflow = new MlflowClient(cfg.mlflow);
  const alias = await mlflow.registry.getModelVersionByAlias(cfg.mlflow.registeredModel, 'champion');
  const expectedVersion = retrain.decision === 'promoted' ? '2' : boot.registeredVersion;
  expect(alias?.version).toBe(expectedVersion);
  const run = await mlflow.tracking.getRun(retrain.mlflowRunId!);
  expect(run.info.status).toBe('FINISHED');

  // Model store: the champion is the one the retrain left.
  const champion = await new ModelStore(cfg.paths.modelsDir).champion();
  expect(champion?.versionId).toBe(retrain.championAfter);
}, 600_000);
