/** Links from cycles to the Temporal and MLflow UIs, and the cycle rows the dashboard shows. */
import { loadConfig } from '../../../src/config';
import { cycleView } from '../../../src/serve/web/dashboard';
import { cycleLinks, cycleWorkflow } from '../../../src/serve/web/links';

const cfg = loadConfig({
  ...process.env,
  TEMPORAL_UI_PORT: '8533',
  TEMPORAL_NAMESPACE: 'default',
  MLFLOW_TRACKING_URI: 'http://127.0.0.1:5300/',
});
const RUN = '0196a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b';

describe('cycle links', () => {
  it('reads the workflow run back from a cycle id, also when the workflow id has dashes', () => {
    expect(cycleWorkflow(`mlops-retrain-${RUN}`)).toEqual({ workflowId: 'mlops-retrain', runId: RUN });
    expect(cycleWorkflow(`it-x-retrain-7-${RUN}`)).toEqual({ workflowId: 'it-x-retrain-7', runId: RUN });
    expect(cycleWorkflow('wf-123')).toBeNull();
    expect(cycleWorkflow(RUN)).toBeNull();
  });

  it('links the Temporal run always and the MLflow run when it is known', () => {
    const index = { experimentId: '4', runs: new Map([[`mlops-retrain-${RUN}`, 'abc123']]) };
    expect(cycleLinks(cfg, `mlops-retrain-${RUN}`, index)).toEqual({
      cycleId: `mlops-retrain-${RUN}`,
      temporalUrl: `http://127.0.0.1:8533/namespaces/default/workflows/mlops-retrain/${RUN}`,
      mlflowUrl: 'http://127.0.0.1:5300/#/experiments/4/runs/abc123',
    });
    // Older cycles recorded the run id in their metrics; without MLflow there is no experiment to link to.
    expect(cycleLinks(cfg, 'wf-1', index, 'old-run').mlflowUrl).toBe(
      'http://127.0.0.1:5300/#/experiments/4/runs/old-run',
    );
    expect(cycleLinks(cfg, 'wf-1', null, 'old-run')).toEqual({
      cycleId: 'wf-1',
      temporalUrl: null,
      mlflowUrl: null,
    });
  });
});

describe('cycleView', () => {
  it('takes counts and accuracies from the ledger metrics, and null for what a cycle did not record', () => {
    const recordedAt = new Date('2026-01-02T03:04:05Z');
    const v = cycleView(
      cfg,
      {
        id: `mlops-retrain-${RUN}`,
        decision: 'promoted',
        reason: 'validation +0.4 pt',
        championBefore: 'a',
        championAfter: 'b',
        metrics: {
          consumed: 500,
          valid: 498,
          dead_lettered: 2,
          prequential_accuracy: 0.97,
          champion_validation_accuracy: 0.981,
          challenger_validation_accuracy: 0.985,
          batch_ids: 'x',
        },
        recordedAt,
      },
      null,
    );
    expect(v).toMatchObject({
      recordedAt: '2026-01-02T03:04:05.000Z',
      consumed: 500,
      valid: 498,
      deadLettered: 2,
      prequentialAccuracy: 0.97,
      championValidationAccuracy: 0.981,
      challengerValidationAccuracy: 0.985,
      mlflowUrl: null,
    });
    const skipped = cycleView(
      cfg,
      { ...v, id: 'wf', decision: 'skipped', metrics: { prequential_accuracy: 'n/a' }, recordedAt },
      null,
    );
    expect(skipped).toMatchObject({ consumed: null, prequentialAccuracy: null, temporalUrl: null });
  });
});
