/**
 * Replays recorded histories (test/fixtures/histories, `npm run histories:record`) against the current
 * workflow code, offline: a change that would break running workflows fails here.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromObject, readHistoryFile, type HistoryFile } from './history-file';
import { HISTORIES_DIR, RETIRED_DIR } from './paths';

const workflowsPath = require.resolve('../../src/workflows');
let files: HistoryFile[];
let names: string[];

beforeAll(async () => {
  names = (await fs.readdir(HISTORIES_DIR)).filter((n) => n.endsWith('.json')).sort();
  files = await Promise.all(names.map((n) => readHistoryFile(path.join(HISTORIES_DIR, n))));
});

describe('recorded histories', () => {
  it('cover every workflow', () => {
    expect(new Set(files.map((f) => f.workflowType))).toEqual(
      new Set([
        'bootstrapWorkflow',
        'retrainWorkflow',
        'retrainTriggerWorkflow',
        'streamNewDataWorkflow',
        'lagCheckWorkflow',
      ]),
    );
  });

  it('replay without determinism errors', async () => {
    const results = Worker.runReplayHistories(
      { workflowsPath, replayName: 'recorded-histories' },
      files.map((f) => ({ workflowId: f.workflowId, history: f.history })),
    );
    const failures: string[] = [];
    for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    expect(failures).toEqual([]);
  }, 60_000);

  it('retired: histories of the removed mlflow-after-commit patch fail on its marker and nothing else', async () => {
    // Recorded before the patch was deprecated (f6fef26): they would have to finish before an upgrade past
    // its removal. Deprecated-marker histories (retrain-promoted-one-exit) are in the corpus above.
    const retired = await Promise.all(
      (await fs.readdir(RETIRED_DIR)).map((n) => readHistoryFile(path.join(RETIRED_DIR, n))),
    );
    expect(retired.length).toBeGreaterThan(0);
    const results = Worker.runReplayHistories(
      { workflowsPath, replayName: 'retired-histories' },
      retired.map((f) => ({ workflowId: f.workflowId, history: f.history })),
    );
    const errors: string[] = [];
    for await (const r of results) errors.push(r.error?.message ?? `${r.workflowId} replayed`);
    expect(errors).toHaveLength(retired.length);
    for (const e of errors) {
      expect(e).toMatch(/Non-deprecated patch marker encountered for change mlflow-after-commit/);
    }
  }, 60_000);

  it('would catch a workflow that schedules different activities than the history holds', async () => {
    const original = files.find((f) => f.workflowType === 'retrainWorkflow' && f.history.events.length > 60)!;
    // Same history, but its first activity is recorded as another one: what a reordering of steps looks like.
    const tampered = historyFromObject(JSON.parse(JSON.stringify(original.history)));
    const scheduled = tampered.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'takeBatch';
    await expect(
      Worker.runReplayHistory({ workflowsPath, replayName: 'tampered' }, tampered, original.workflowId),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});
