/**
 * Re-records test/fixtures/histories/*.json from real runs on the dev server (fake activities, so it takes
 * seconds and needs nothing but Temporal). Run after an intended, versioned change to workflow code:
 *   npm run histories:record                       every scenario
 *   npm run histories:record -- lag-check-skipped  only the named ones (e.g. a new workflow's)
 * The replay test (replay.test.ts) then proves the new code still replays these histories. Re-record an
 * old history only on purpose: it stands for workflows started by the code of its time.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import * as prettier from 'prettier';
import { writeFileDurable } from '../../src/durable-file';
import { historyToObject } from './history-file';
import { HISTORIES_DIR } from './paths';
import { newWorld, scores, withChampion, type FakeWorld } from '../support/fake-activities';
import { startFakeTemporal } from '../support/fake-temporal';

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
    // The champion's scores come from its metadata (patch champion-scores-recorded): one evaluation less.
    name: 'retrain-promoted-recorded-scores',
    workflowType: 'retrainWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.champion = { ...w.champion!, scores: scores(0.95, 0.95) };
      w.published = 300;
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
  {
    name: 'lag-check-skipped',
    workflowType: 'lagCheckWorkflow',
    args: [{}],
    setUp: (w) => {
      champion(w);
      w.published = 10;
    },
  },
  {
    name: 'lag-check-triggers-retrain',
    workflowType: 'lagCheckWorkflow',
    args: [{}],
    child: 'retrain',
    setUp: (w) => {
      champion(w);
      w.published = 300;
      w.trainedScores = scores(0.97, 0.95);
    },
  },
];

// Recorded after one finishCycle took every exit (patch one-cycle-exit, mlflow-after-commit deprecated):
// the older files of the same scenarios stand for cycles started before it.
for (const old of ['retrain-promoted', 'retrain-skipped-too-few', 'retrain-skipped-no-valid']) {
  SCENARIOS.push({ ...SCENARIOS.find((s) => s.name === old)!, name: `${old}-one-exit` });
}

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
  await writeFileDurable(file, body);
  console.log(`${path.relative(process.cwd(), file)}: ${history.events?.length ?? 0} events`);
}

async function main(only: readonly string[]): Promise<void> {
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(
      `no scenario named ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  const taskQueue = `record-histories-${randomUUID()}`;
  let world = newWorld(taskQueue);
  const { client, close } = await startFakeTemporal(taskQueue, () => world);
  await fs.mkdir(HISTORIES_DIR, { recursive: true });
  try {
    for (const s of SCENARIOS.filter((s) => !only.length || only.includes(s.name))) {
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
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
