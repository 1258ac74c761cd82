/** The lag-trigger schedule's workflow on the dev server, with the in-memory fake activities. */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { retrainWorkflow } from '../../src/workflows';
import { lagCheckWorkflow } from '../../src/workflows/lag-check';
import { scores, withChampion } from '../support/fake-activities';
import { useFakeTemporal } from '../support/fake-temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });
const t = useFakeTemporal('it-lag-check', (w) => withChampion(w, 'champ', scores(0.95, 0.95)));
const id = (name: string) => `it-${name}-${randomUUID()}`;

describe('lagCheckWorkflow', () => {
  it('does nothing below the threshold, and records no cycle', async () => {
    t.world.published = 299;
    const r = await t.client.workflow.execute(lagCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: id('retrain') }],
    });
    expect(r).toEqual({ status: 'skipped', reason: 'lag 299 is below the threshold 300' });
    expect(t.world.calls).not.toContain('takeBatch');
    expect(t.world.cycles).toHaveLength(0);
  });

  it('starts the retrain at the threshold, and skips while that retrain runs', async () => {
    t.world.published = 300;
    t.world.trainedScores = scores(0.97, 0.95);
    let release!: () => void;
    t.world.takeBatchGate = new Promise((r) => (release = r));
    const retrainId = id('retrain');
    const first = await t.client.workflow.execute(lagCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(first).toMatchObject({ status: 'started', workflowId: retrainId });
    const second = await t.client.workflow.execute(lagCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id('lag'),
      args: [{ retrainWorkflowId: retrainId }],
    });
    expect(second).toEqual({ status: 'skipped', reason: `a retrain is running (workflow id ${retrainId})` });
    release();
    const retrain = await t.client.workflow.getHandle<typeof retrainWorkflow>(retrainId).result();
    expect(retrain.decision).toBe('promoted');
  });

  it('takes its threshold from the input when given', async () => {
    t.world.published = 50;
    const r = await t.client.workflow.execute(lagCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id('lag'),
      args: [{ lagThreshold: 50, retrainWorkflowId: id('retrain') }],
    });
    expect(r.status).toBe('started');
  });
});
