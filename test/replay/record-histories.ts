/**
 * Re-records test/fixtures/histories/*.json from real runs on the dev server (fake activities, so it takes
 * seconds and needs nothing but Temporal). Run after an intended, versioned change to workflow code:
 *   npm run histories:record
 * The replay test then proves the new code still replays these histories.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as prettier from 'prettier';
import { loadConfig } from '../../src/config';
import { historyToObject } from './history-file';
import { HISTORIES_DIR } from './paths';
import {
  fakeActivities,
  newWorld,
  scores,
  withChampion,
  type FakeWorld,
} from '../unit/workflows/fake-activities';

interface Scenario {
  readonly name: string;
  readonly workflowType: string;
  readonly args: unknown[];
  readonly setUp?: (w: FakeWorld) => void;
  /** A child the workflow starts, recorded too. */
  readonly child?: string;
}

const champion = (w: FakeWorld) => withChampion(w, 'champ', scores(0.95, 0.95));

const SCENARIOS: Scenario[] = [
  { name: 'bootstrap-trained', workflowType: 'bootstrapWorkflow', args: [{ epochs: 2 }] },
  { name: 'bootstrap-champion-exists', workflowType: 'bootstrapWorkflow', args: [{}], setUp: champion },
  {
    name: 'retrain-promoted',
    workflowType: 'retrainWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.published = 300;
      w.deadLetterEvery = 30;
      w.trainedScores = scores(0.97, 0.95);
    },
  },
  {
    name: 'retrain-rejected',
    workflowType: 'retrainWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.published = 300;
      w.trainedScores = scores(0.95, 0.96);
    },
  },
  {
    name: 'retrain-skipped-too-few',
    workflowType: 'retrainWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.published = 10;
    },
  },
  {
    // Every record dead-lettered: skipped, yet the batch is marked used and the offsets committed.
    name: 'retrain-skipped-no-valid',
    workflowType: 'retrainWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.published = 200;
      w.deadLetterEvery = 1;
    },
  },
  {
    name: 'stream-triggers-retrain',
    workflowType: 'streamNewDataWorkflow',
    args: [{ count: 400 }],
    child: 'retrain',
    setUp: (w) => {
      champion(w);
      w.trainedScores = scores(0.97, 0.95);
    },
  },
  {
    name: 'retrain-trigger',
    workflowType: 'retrainTriggerWorkflow',
    args: [{}],
    child: 'retrain',
    setUp: champion,
  },
];

async function save(name: string, handle: WorkflowHandle, workflowType: string): Promise<void> {
  const history = await handle.fetchHistory();
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  const json = JSON.stringify({
    workflowId: handle.workflowId,
    workflowType,
    history: historyToObject(history),
  });
  // Formatted as `npm run lint` (prettier --check) expects.
  const body = await prettier.format(json, { ...(await prettier.resolveConfig(file)), filepath: file });
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, body);
  await fs.rename(tmp, file);
  console.log(`${path.relative(process.cwd(), file)}: ${history.events?.length ?? 0} events`);
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  const taskQueue = `record-histories-${randomUUID()}`;
  let world = newWorld(taskQueue);
  const workerConnection = await NativeConnection.connect({ address: cfg.temporal.address });
  const connection = await Connection.connect({ address: cfg.temporal.address });
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: fakeActivities(() => world),
  });
  await fs.mkdir(HISTORIES_DIR, { recursive: true });
  try {
    await worker.runUntil(async () => {
      for (const s of SCENARIOS) {
        world = newWorld(taskQueue);
        s.setUp?.(world);
        const suffix = randomUUID();
        const childId = `record-${s.name}-child-${suffix}`;
        const args = s.child ? [{ ...(s.args[0] as object), retrainWorkflowId: childId }] : s.args;
        const handle = await client.workflow.start(s.workflowType, {
          taskQueue,
          workflowId: `record-${s.name}-${suffix}`,
          args,
        });
        await handle.result();
        await save(s.name, handle, s.workflowType);
        if (s.child) {
          const child = client.workflow.getHandle(childId);
          await child.result();
          await save(`${s.name}-child-${s.child}`, child, 'retrainWorkflow');
        }
      }
    });
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
