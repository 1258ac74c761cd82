/**
 * Workflow logic on the real Temporal dev server, with every activity replaced by an in-memory fake: the
 * promotion rule, the order of the last steps, skipping on too little data, the lag trigger, mutual
 * exclusion of retrains, progress queries and resuming training from heartbeat details.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { startRetrain } from '../../src/client/start';
import {
  bootstrapWorkflow,
  retrainTriggerWorkflow,
  retrainWorkflow,
  streamNewDataWorkflow,
} from '../../src/workflows';
import { PROGRESS_QUERY, type WorkflowProgress } from '../../src/shared';
import { scores, withChampion } from '../support/fake-activities';
import { useFakeTemporal } from '../support/fake-temporal';

const t = useFakeTemporal('it-workflows');
const id = (name: string) => `it-${name}-${randomUUID()}`;
const options = (name: string) => ({ taskQueue: t.taskQueue, workflowId: id(name) });

describe('bootstrapWorkflow', () => {
  it('trains, stores, promotes and logs the first champion, then only reports it', async () => {
    const first = await t.client.workflow.execute(bootstrapWorkflow, { ...options('bootstrap'), args: [{}] });
    expect(first.status).toBe('trained');
    if (first.status !== 'trained') return;
    expect(first.championVersionId).toMatch(/^m\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(t.world.champion?.versionId).toBe(first.championVersionId);
    expect(first.epochs).toHaveLength(3);
    expect(t.world.runs).toHaveLength(1);
    expect(t.world.runs[0]).toMatchObject({
      versionId: first.championVersionId,
      reportFile: expect.stringContaining('initial'),
    });
    expect(t.world.calls.indexOf(`storeModelVersion:${first.championVersionId}`)).toBeLessThan(
      t.world.calls.indexOf(`promoteModel:${first.championVersionId}`),
    );

    t.world.calls = [];
    const second = await t.client.workflow.execute(bootstrapWorkflow, {
      ...options('bootstrap'),
      args: [{}],
    });
    expect(second).toEqual({ status: 'champion-exists', championVersionId: first.championVersionId });
    expect(t.world.calls.some((c) => c.startsWith('trainInitialModel'))).toBe(false);
  });

  it('trains again with force', async () => {
    withChampion(t.world, 'old', scores(0.9, 0.9));
    const r = await t.client.workflow.execute(bootstrapWorkflow, {
      ...options('bootstrap'),
      args: [{ force: true }],
    });
    expect(r.status).toBe('trained');
    if (r.status === 'trained') expect(r.previousChampionVersionId).toBe('old');
  });

  it('resumes training from the epoch in the heartbeat details after a failed attempt', async () => {
    t.world.failTrainingAfterEpochs = 2;
    const r = await t.client.workflow.execute(bootstrapWorkflow, {
      ...options('bootstrap'),
      args: [{ epochs: 4 }],
    });
    expect(r.status).toBe('trained');
    expect(t.world.trainingAttempts).toEqual([
      { attempt: 1, resumedFrom: 0 },
      { attempt: 2, resumedFrom: 2 },
    ]);
  }, 60_000);

  it('fails at once, without retries, on invalid input', async () => {
    const err = await t.client.workflow
      .execute(bootstrapWorkflow, { ...options('bootstrap'), args: [{ epochs: 0 }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInputError' });
    expect(t.world.calls).toEqual([]);
  });
});

describe('retrainWorkflow', () => {
  beforeEach(() => {
    withChampion(t.world, 'champ', scores(0.95, 0.95));
    t.world.published = 400;
    t.world.deadLetterEvery = 50;
  });

  it('promotes a challenger that gains on validation within the test tolerance; ledger and offsets settle before MLflow logging', async () => {
    t.world.trainedScores = scores(0.96, 0.947);
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.decision).toBe('promoted');
    expect(r.championBefore).toBe('champ');
    expect(r.championAfter).not.toBe('champ');
    expect(t.world.champion?.versionId).toBe(r.championAfter);
    expect(r.counts).toEqual({ consumed: 400, valid: 392, deadLettered: 8 });
    expect(r.prequentialAccuracy).toBe(0.9);
    expect(t.world.runs[0]).toMatchObject({ decision: 'promoted', promotedVersionId: r.championAfter });
    expect(t.world.committedOffset).toBe(400);

    const order = t.world.calls.filter((c) => !c.startsWith('cleanUpRun'));
    const at = (prefix: string) => order.findIndex((c) => c.startsWith(prefix));
    // The champion is scored on the batch before the challenger is trained on it.
    expect(at('evaluateOnBatch')).toBeLessThan(at('fineTuneChallenger'));
    // Decision, ledger and offsets first; MLflow last, so an MLflow outage cannot hold the cycle open.
    expect(at('promoteModel')).toBeLessThan(at('recordCycle'));
    expect(at('recordCycle')).toBeLessThan(at('markBatchesUsed'));
    expect(at('markBatchesUsed')).toBeLessThan(at('commitOffsets'));
    expect(at('commitOffsets')).toBeLessThan(at('logRun'));
    expect(order.at(-1)).toMatch(/^logRun/);
    expect(r.batchIds).toEqual(['topic-0-0-399']);
  });

  it("takes the champion's recorded scores instead of evaluating it again, and records the challenger's", async () => {
    t.world.champion = { ...t.world.champion!, scores: scores(0.95, 0.95) };
    t.world.trainedScores = scores(0.96, 0.947);
    const stored: unknown[] = [];
    t.world.onStore = (input) => stored.push(input.scores);
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.decision).toBe('promoted');
    expect(r.champion).toEqual(scores(0.95, 0.95));
    expect(t.world.calls.filter((c) => c.startsWith('evaluateOnSplits'))).toEqual([
      expect.stringMatching(/^evaluateOnSplits:\/staging\//),
    ]);
    expect(stored).toEqual([r.challenger]);
  });

  it('rejects a challenger without enough validation gain, logs the run and still uses up the batch', async () => {
    t.world.trainedScores = scores(0.9505, 0.96);
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.decision).toBe('rejected');
    expect(r.reason).toMatch(/validation accuracy gain .* below/);
    expect(t.world.champion?.versionId).toBe('champ');
    expect(t.world.calls.some((c) => c.startsWith('storeModelVersion') || c.startsWith('promoteModel'))).toBe(
      false,
    );
    expect(t.world.runs[0]).toMatchObject({ decision: 'rejected' });
    expect(t.world.runs[0]).not.toHaveProperty('promotedVersionId');
    expect(t.world.cycles.map((c) => c.decision)).toEqual(['rejected']);
    expect(t.world.committedOffset).toBe(400);
  });

  it('rejects a challenger whose test accuracy drops beyond the tolerance', async () => {
    t.world.trainedScores = scores(0.99, 0.94);
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.decision).toBe('rejected');
    expect(r.reason).toMatch(/test accuracy drops by 1\.00 pt/);
  });

  it('honours promotion thresholds given as input', async () => {
    t.world.trainedScores = scores(0.99, 0.94);
    const r = await t.client.workflow.execute(retrainWorkflow, {
      ...options('retrain'),
      args: [{ promotionTestTolerance: 0.02 }],
    });
    expect(r.decision).toBe('promoted');
  });

  it('ends early on too few records, committing nothing and training nothing', async () => {
    t.world.published = 60;
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.decision).toBe('skipped');
    expect(r.reason).toBe('skipped: not enough new data (60 records, need 100)');
    expect(t.world.cycles).toEqual([expect.objectContaining({ decision: 'skipped' })]);
    expect(t.world.committedOffset).toBe(0);
    expect(t.world.calls.some((c) => /fineTune|markBatchesUsed|commitOffsets/.test(c))).toBe(false);
    expect(t.world.runs).toEqual([expect.objectContaining({ decision: 'skipped' })]);
  });

  it('skips when there is no champion yet', async () => {
    t.world.champion = null;
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.reason).toMatch(/no champion/);
    expect(t.world.calls).not.toContain('takeBatch');
  });

  it('resumes the batch the ledger holds instead of taking new data', async () => {
    t.world.pendingBatch = { batchId: 'topic-0-0-199', from: 0, to: 199, valid: 200, deadLettered: 0 };
    t.world.trainedScores = scores(0.97, 0.95);
    const r = await t.client.workflow.execute(retrainWorkflow, { ...options('retrain'), args: [{}] });
    expect(r.resumedBatch).toBe(true);
    expect(r.batchIds).toEqual(['topic-0-0-199']);
    expect(t.world.committedOffset).toBe(200);
  });

  it('runs once at a time: a second start and the schedule trigger report the running one', async () => {
    let release!: () => void;
    t.world.takeBatchGate = new Promise<void>((r) => (release = r));
    const retrainId = id('retrain-fixed');
    const first = await startRetrain(t.client, {}, { taskQueue: t.taskQueue, workflowId: retrainId });
    expect(first.status).toBe('started');
    const handle = t.client.workflow.getHandle(retrainId);

    // The progress query answers while the workflow waits in takeBatch.
    await waitFor(
      async () => (await handle.query<WorkflowProgress>(PROGRESS_QUERY)).stage === 'taking batch',
    );

    const second = await startRetrain(t.client, {}, { taskQueue: t.taskQueue, workflowId: retrainId });
    expect(second).toEqual({ status: 'skipped', reason: `a retrain is running (workflow id ${retrainId})` });
    const triggered = await t.client.workflow.execute(retrainTriggerWorkflow, {
      ...options('trigger'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(triggered.status).toBe('skipped');

    release();
    const result = await handle.result();
    expect(result.decision).not.toBe('skipped');
    expect(t.world.calls.filter((c) => c === 'takeBatch')).toHaveLength(1);

    // Once it is closed, the trigger starts the next one under the same id.
    t.world.published += 200;
    const next = await t.client.workflow.execute(retrainTriggerWorkflow, {
      ...options('trigger'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(next.status).toBe('started');
    await t.client.workflow.getHandle(retrainId).result();
  }, 60_000);
});

describe('streamNewDataWorkflow', () => {
  it('publishes and leaves the retrain alone below the lag threshold', async () => {
    const r = await t.client.workflow.execute(streamNewDataWorkflow, {
      ...options('stream'),
      args: [{ count: 200, retrainWorkflowId: id('retrain') }],
    });
    expect(r).toMatchObject({ published: 200, lag: 200, lagThreshold: 300 });
    expect(r.retrain).toBeUndefined();
  });

  it('starts a retrain once the lag reaches the threshold, and does not wait for it', async () => {
    withChampion(t.world, 'champ', scores(0.95, 0.95));
    t.world.trainedScores = scores(0.97, 0.95);
    const retrainId = id('retrain');
    const r = await t.client.workflow.execute(streamNewDataWorkflow, {
      ...options('stream'),
      args: [{ count: 300, retrainWorkflowId: retrainId }],
    });
    expect(r.lag).toBe(300);
    expect(r.retrain).toMatchObject({ status: 'started', workflowId: retrainId });
    const retrain = await t.client.workflow.getHandle<typeof retrainWorkflow>(retrainId).result();
    expect(retrain.decision).toBe('promoted');
    expect(t.world.committedOffset).toBe(300);
  });

  it('rejects a non-positive count', async () => {
    const err = await t.client.workflow
      .execute(streamNewDataWorkflow, { ...options('stream'), args: [{ count: 0 }] })
      .catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInputError' });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
