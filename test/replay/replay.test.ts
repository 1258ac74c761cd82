/**
 * Replays recorded histories (test/fixtures/histories, `npm run histories:record`) against the current
 * workflow code, offline: a change that would break running workflows fails here.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromObject, readHistoryFile, type HistoryFile } from './history-file';
import { HISTORIES_DIR } from './paths';

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
