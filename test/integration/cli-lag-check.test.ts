/** The lag-trigger schedule's workflow on the dev server, with the in-memory fake activities. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import type { retrainWorkflow } from '../../src/workflows';
import { lagCheckWorkflow } from '../../src/workflows/lag-check';
import {
  fakeActivities,
  newWorld,
  scores,
  withChampion,
  type FakeWorld,
} from '../unit/workflows/fake-activities';

const cfg = loadConfig();
Runtime.install({ logger: new DefaultLogger('WARN') });
const taskQueue = `it-lag-check-${randomUUID()}`;
let world: FakeWorld = newWorld(taskQueue);
let connection: Connection;
let workerConnection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const id = (name: string) => `it-${name}-${randomUUID()}`;

beforeAll(async () => {
  workerConnection = await NativeConnection.connect({ address: cfg.temporal.address });
  connection = await Connection.connect({ address: cfg.temporal.address });
  client = new Client({ connection, namespace: cfg.temporal.namespace });
  worker = await Worker.create({
    connection: workerConnection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: fakeActivities(() => world),
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await workerConnection?.close();
});

beforeEach(() => {
  world = newWorld(taskQueue);
  withChampion(world, 'champ', scores(0.95, 0.95));
});

describe('lagCheckWorkflow', () => {
  it('does nothing below the threshold, and records no cycle', async () => {
    world.published = 299;
    const r = await client.workflow.execute(lagCheckWorkflow, {
      taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: id('retrain') }],
    });
    expect(r).toEqual({ status: 'skipped', reason: 'lag 299 is below the threshold 300' });
    expect(world.calls).not.toContain('takeBatch');
    expect(world.cycles).toHaveLength(0);
  });

  it('starts the retrain at the threshold, and skips while that retrain runs', async () => {
    world.published = 300;
    world.trainedScores = scores(0.97, 0.95);
    let release!: () => void;
    world.takeBatchGate = new Promise((r) => (release = r));
    const retrainId = id('retrain');
    const first = await client.workflow.execute(lagCheckWorkflow, {
      taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(first).toMatchObject({ status: 'started', workflowId: retrainId });
    const second = await client.workflow.execute(lagCheckWorkflow, {
      taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(second).toEqual({ status: 'skipped', reason: `a retrain is running (workflow id ${retrainId})` });
    release();
    const retrain = await client.workflow.getHandle<typeof retrainWorkflow>(retrainId).result();
    expect(retrain.decision).toBe('promoted');
  });

  it('takes its threshold from the input when given', async () => {
    world.published = 50;
    const r = await client.workflow.execute(lagCheckWorkflow, {
      taskQueue,
      workflowId: id('lag'),
      args: [{ lagThreshold: 50, retrainWorkflowId: id('retrain') }],
    });
    expect(r.status).toBe('started');
  });
});
