import { MlflowInputError } from '../../../src/adapters/mlflow/errors';
import { IDEMPOTENCY_TAG } from '../../../src/domain/tracking/tracker';
import { filterLiteral } from '../../../src/adapters/mlflow/search-filter';
import { mlflowError, type RecordedRequest, useFakeMlflow } from './fake-server';

const exp = (stage: 'active' | 'deleted') => ({ experiment_id: '7', name: 'e', lifecycle_stage: stage });
const run = (id: string) => ({
  info: {
    run_id: id,
    experiment_id: '7',
    status: 'RUNNING',
    artifact_uri: `mlflow-artifacts:/7/${id}/artifacts`,
    lifecycle_stage: 'active',
  },
  data: {},
});

describe('MlflowTracking against a fake server', () => {
  const s = useFakeMlflow();

  it('logBatch sends one request per chunk, each within the limits, with the run id', async () => {
    const metrics = Array.from({ length: 2100 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), step: i }));
    const params = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`p${i}`, i]));
    const r = await s.client.tracking.logBatch('run-1', { metrics, params });
    const sent = s.fake.calls('/runs/log-batch').map((q) => q.json());
    expect(r.requests).toBe(sent.length);
    expect(sent).toHaveLength(3);
    for (const body of sent) {
      expect(body.run_id).toBe('run-1');
      expect(body.metrics.length).toBeLessThanOrEqual(1000);
      expect(body.params.length).toBeLessThanOrEqual(100);
      expect(body.metrics.length + body.params.length + body.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(sent.flatMap((b) => b.metrics.map((m: { step: number }) => m.step))).toEqual(
      metrics.map((m) => m.step),
    );
  });

  it('logBatch sends nothing when one entity is invalid, so no half-logged run is left', async () => {
    const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: 'loss', value: i, step: i }));
    await expect(
      s.client.tracking.logBatch('run-1', { metrics, params: { p: 'x'.repeat(6001) } }),
    ).rejects.toThrow(MlflowInputError);
    expect(s.fake.requests).toHaveLength(0);
  });

  it('getOrCreateExperiment reads the winner after losing a create race', async () => {
    let lookups = 0;
    s.fake.handler = (req) => {
      if (req.path.endsWith('/experiments/get-by-name')) {
        return lookups++ === 0
          ? mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'no')
          : { json: { experiment: exp('active') } };
      }
      if (req.path.endsWith('/experiments/create'))
        return mlflowError(400, 'RESOURCE_ALREADY_EXISTS', 'exists');
      return mlflowError(500, 'INTERNAL_ERROR', `unexpected ${req.path}`);
    };
    await expect(s.client.tracking.getOrCreateExperiment('e')).resolves.toMatchObject({ experiment_id: '7' });
    expect(s.fake.calls('/experiments/create')).toHaveLength(1);
  });

  it('getOrCreateExperiment restores a deleted experiment of that name, or refuses when asked to', async () => {
    let restored = false;
    s.fake.handler = (req) => {
      if (req.path.endsWith('/experiments/restore')) {
        restored = true;
        expect(req.json()).toEqual({ experiment_id: '7' });
        return { json: {} };
      }
      return { json: { experiment: exp(restored ? 'active' : 'deleted') } };
    };
    await expect(s.client.tracking.getOrCreateExperiment('e', { onDeleted: 'error' })).rejects.toThrow(
      /is deleted/,
    );
    expect(restored).toBe(false);
    await expect(s.client.tracking.getOrCreateExperiment('e')).resolves.toMatchObject({
      lifecycle_stage: 'active',
    });
    expect(restored).toBe(true);
  });

  it('getOrCreateRun finds the run of an earlier attempt by its idempotency key instead of creating one', async () => {
    const runs: ReturnType<typeof run>[] = [];
    s.fake.handler = (req: RecordedRequest) => {
      if (req.path.endsWith('/runs/search')) {
        const body = req.json();
        expect(body.filter).toBe(`tags.\`${IDEMPOTENCY_TAG}\` = 'wf-1/train'`);
        expect(body.experiment_ids).toEqual(['7']);
        return { json: runs.length ? { runs } : {} };
      }
      if (req.path.endsWith('/runs/create')) {
        expect(req.json().tags).toContainEqual({ key: IDEMPOTENCY_TAG, value: 'wf-1/train' });
        runs.push(run('r1'));
        return { json: { run: run('r1') } };
      }
      return mlflowError(500, 'INTERNAL_ERROR', 'unexpected');
    };
    const first = await s.client.tracking.getOrCreateRun({ experimentId: '7', idempotencyKey: 'wf-1/train' });
    const retry = await s.client.tracking.getOrCreateRun({ experimentId: '7', idempotencyKey: 'wf-1/train' });
    expect(first.created).toBe(true);
    expect(retry).toEqual({ run: first.run, created: false });
    expect(s.fake.calls('/runs/create')).toHaveLength(1);
  });

  it('getMetricHistory follows page tokens and decodes non-finite values', async () => {
    s.fake.handler = (req) =>
      req.query.get('page_token') === 'p2'
        ? { json: { metrics: [{ key: 'loss', value: 0.25, step: 2, timestamp: 3 }] } }
        : {
            json: {
              metrics: [
                { key: 'loss', value: 'NaN', step: 0, timestamp: 1 },
                { key: 'loss', value: 0.5, step: 1, timestamp: 2 },
              ],
              next_page_token: 'p2',
            },
          };
    const h = await s.client.tracking.getMetricHistory('r1', 'loss');
    expect(h.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(h[0]!.value).toBeNaN();
    expect(h[2]!.value).toBe(0.25);
    expect(s.fake.requests).toHaveLength(2);
  });

  it('logInputs rejects a digest longer than MLflow stores, before sending', async () => {
    const dataset = { name: 'stream', digest: 'd'.repeat(37), source_type: 'kafka', source: '{}' };
    await expect(s.client.tracking.logInputs('r1', [{ dataset }])).rejects.toThrow(
      /digest of 37 characters; the limit is 36/,
    );
    expect(s.fake.requests).toHaveLength(0);
  });

  it('quotes filter values with the quote they do not contain and refuses values with both', () => {
    expect(filterLiteral('a-b')).toBe("'a-b'");
    expect(filterLiteral("it's")).toBe(`"it's"`);
    expect(() => filterLiteral(`it's "x"`)).toThrow(/cannot be quoted/);
  });
});
