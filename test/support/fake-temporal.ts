/**
 * The real Temporal dev server with a worker whose activities are the in-memory fakes
 * (fake-activities.ts): for workflow tests and for recording histories. Starts in seconds.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import { fakeActivities, newWorld, type FakeWorld } from './fake-activities';

export interface FakeTemporal {
  readonly client: Client;
  /** Stops the worker and closes both connections. */
  close(): Promise<void>;
}

/**
 * A running worker on `taskQueue` with every workflow, its activities acting on the fake world that
 * `world()` returns at the time of each call (suites swap the world between tests), and a client.
 */
export async function startFakeTemporal(
  taskQueue: string,
  world: () => FakeWorld,
  cfg: Config = loadConfig(),
): Promise<FakeTemporal> {
  const workerConnection = await NativeConnection.connect({ address: cfg.temporal.address });
  const connection = await Connection.connect({ address: cfg.temporal.address });
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: fakeActivities(world),
  });
  const running = worker.run();
  return {
    client,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await workerConnection.close();
    },
  };
}

export interface FakeTemporalSuite {
  readonly taskQueue: string;
  /** This test's world: fresh before each test. */
  readonly world: FakeWorld;
  readonly client: Client;
}

/** For a test file: one fake Temporal for all its tests, a fresh world (set up by `setUp`) for each. */
export function useFakeTemporal(prefix: string, setUp?: (world: FakeWorld) => void): FakeTemporalSuite {
  const taskQueue = `${prefix}-${randomUUID()}`;
  const suite = { taskQueue, world: newWorld(taskQueue) } as {
    -readonly [K in keyof FakeTemporalSuite]: FakeTemporalSuite[K];
  };
  let temporal: FakeTemporal | undefined;
  beforeAll(async () => {
    temporal = await startFakeTemporal(taskQueue, () => suite.world);
    suite.client = temporal.client;
  }, 60_000);
  afterAll(() => temporal?.close());
  beforeEach(() => {
    suite.world = newWorld(taskQueue);
    setUp?.(suite.world);
  });
  return suite;
}
