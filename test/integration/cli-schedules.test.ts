/**
 * Schedules against the real Temporal dev server, under test-only ids and a task queue no worker polls,
 * so neither the real schedules nor the real pipeline are touched.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { MlopsClient } from '../../src/client';
import { ClientError } from '../../src/client/errors';

const cfg = loadConfig();

describe('schedules on the dev server', () => {
  const tag = randomUUID().slice(0, 8);
  let mlops: MlopsClient;
  beforeAll(async () => {
    mlops = await MlopsClient.connect(cfg, {
      intervals: { streamIntervalMs: 3_600_000, retrainIntervalMs: 86_400_000, lagCheckIntervalMs: 60_000 },
      schedules: { idPrefix: `it-${tag}-`, taskQueue: `it-schedules-${tag}` },
    });
  });
  afterAll(async () => {
    await mlops.schedules.delete('all').catch(() => undefined);
    // Terminate what the backfill started: it waits on a queue nobody polls.
    for await (const w of mlops.temporal.workflow.list({ query: `TaskQueue = "it-schedules-${tag}"` })) {
      if (w.status.name === 'RUNNING')
        await mlops.temporal.workflow.getHandle(w.workflowId, w.runId).terminate('test cleanup');
    }
    await mlops.close();
  });

  it('creates all three, and a second create updates them in place (idempotent)', async () => {
    expect(await mlops.schedules.ensure('all')).toEqual([
      { name: 'stream', outcome: 'created' },
      { name: 'retrain', outcome: 'created' },
      { name: 'lag-trigger', outcome: 'created' },
    ]);
    expect((await mlops.schedules.ensure('all')).map((r) => r.outcome)).toEqual([
      'updated',
      'updated',
      'updated',
    ]);
    const states = await mlops.schedules.describe('all');
    expect(states.map((s) => [s.name, s.exists, s.paused, s.everyMs])).toEqual([
      ['stream', true, false, 3_600_000],
      ['retrain', true, false, 86_400_000],
      ['lag-trigger', true, false, 60_000],
    ]);
    expect(states.every((s) => s.scheduleId.startsWith(`it-${tag}-`))).toBe(true);
    const overlap = await mlops.temporal.schedule.getHandle(states[1]!.scheduleId).describe();
    expect(overlap.policies.overlap).toBe('SKIP');
  });

  it('pauses and unpauses; a re-create keeps the pause', async () => {
    await mlops.schedules.pause('retrain');
    expect((await mlops.schedules.describe('retrain'))[0]?.paused).toBe(true);
    await mlops.schedules.ensure('retrain');
    expect((await mlops.schedules.describe('retrain'))[0]?.paused).toBe(true);
    await mlops.schedules.unpause('retrain');
    expect((await mlops.schedules.describe('retrain'))[0]?.paused).toBe(false);
  });

  it('backfills the runs of a past range', async () => {
    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    const from = new Date(to.getTime() - 2 * 3_600_000 + 1000);
    await mlops.schedules.backfill('stream', from, to);
    // The backfill is applied asynchronously by the schedule; wait for the actions to show.
    let taken = 0;
    for (let i = 0; i < 50 && taken === 0; i++) {
      taken = (await mlops.schedules.describe('stream'))[0]?.actionsTaken ?? 0;
      if (taken === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(taken).toBeGreaterThanOrEqual(1);
  });

  it('refuses a backfill whose range is reversed', async () => {
    const now = new Date();
    await expect(mlops.schedules.backfill('stream', now, new Date(now.getTime() - 1000))).rejects.toThrow(
      /--from .* must be before --to/,
    );
  });

  it('deletes; deleting again reports it absent; pausing a missing one is "not ready"', async () => {
    expect(await mlops.schedules.delete('all')).toEqual([
      { name: 'stream', deleted: true },
      { name: 'retrain', deleted: true },
      { name: 'lag-trigger', deleted: true },
    ]);
    expect((await mlops.schedules.delete('stream'))[0]?.deleted).toBe(false);
    expect((await mlops.schedules.describe('all')).every((s) => !s.exists)).toBe(true);
    const err = await mlops.schedules.pause('stream').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).kind).toBe('not-ready');
    expect((err as Error).message).toContain('schedule create stream');
  });
});
