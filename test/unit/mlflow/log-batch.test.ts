import { LOG_BATCH_LIMITS, planLogBatch, type LogBatchChunk } from '../../../src/adapters/mlflow/log-batch';
import { MlflowInputError } from '../../../src/adapters/mlflow/errors';

const L = LOG_BATCH_LIMITS;

function expectWithinLimits(chunks: LogBatchChunk[]): void {
  for (const c of chunks) {
    expect(c.metrics.length).toBeLessThanOrEqual(L.maxMetrics);
    expect(c.params.length).toBeLessThanOrEqual(L.maxParams);
    expect(c.tags.length).toBeLessThanOrEqual(L.maxTags);
    expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(L.maxEntities);
    const body = JSON.stringify({ run_id: 'a'.repeat(32), ...c });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(L.maxRequestBytes);
  }
}

describe('planLogBatch', () => {
  it('splits by count limits, keeps order within each kind and loses nothing', () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 7}`,
      value: i,
      step: i,
      timestamp: 1,
    }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, `v${i}`]));
    const chunks = planLogBatch({ metrics, params, tags }, 1000);

    expectWithinLimits(chunks);
    // 2770 entities at ≤1000 per request: 3 is the minimum.
    expect(chunks).toHaveLength(3);
    expect(chunks.flatMap((c) => c.metrics).map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    expect(chunks.flatMap((c) => c.params).map((p) => p.key)).toEqual(Object.keys(params));
    expect(chunks.flatMap((c) => c.tags)).toEqual(
      Object.entries(tags).map(([key, value]) => ({ key, value })),
    );
    expect(chunks[0]!.params).toHaveLength(100);
    expect(chunks[0]!.tags).toHaveLength(100);
    expect(chunks[0]!.metrics).toHaveLength(800);
  });

  it('splits by request size when values are long', () => {
    const params = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, 'x'.repeat(6000)]));
    const tags = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`t${i}`, 'y'.repeat(8000)]));
    const chunks = planLogBatch({ params, tags });
    expectWithinLimits(chunks);
    expect(chunks.length).toBe(2);
    expect(chunks.flatMap((c) => c.params)).toHaveLength(100);
    expect(chunks.flatMap((c) => c.tags)).toHaveLength(100);
  });

  it('returns no request for empty input', () => {
    expect(planLogBatch({})).toEqual([]);
  });

  it('writes non-finite metric values the way protobuf JSON expects', () => {
    const [chunk] = planLogBatch({
      metrics: [
        { key: 'loss', value: NaN },
        { key: 'loss', value: Infinity, step: 1 },
        { key: 'loss', value: -Infinity, step: 2 },
      ],
    });
    expect(chunk!.metrics.map((m) => m.value)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('counts value length in code points, as MLflow does', () => {
    const emoji = '😀'.repeat(L.maxParamValueLength); // 12000 UTF-16 units, 6000 code points
    expect(() => planLogBatch({ params: { p: emoji } })).not.toThrow();
    expect(() => planLogBatch({ params: { p: `${emoji}x` } })).toThrow(/6001 characters; the limit is 6000/);
  });

  it.each([
    [{ params: { 'bad key!': 1 } }, /param key "bad key!" is invalid/],
    [{ params: { '../up': 1 } }, /not a clean relative path/],
    [{ tags: { k: 'v'.repeat(8001) } }, /tag "k" has a value of 8001 characters; the limit is 8000/],
    [{ metrics: [{ key: 'acc', value: 1, step: 0.5 }] }, /step 0.5; use an integer/],
    [{ metrics: [{ key: 'k'.repeat(251), value: 1 }] }, /longer than 250 characters/],
  ])('rejects bad input %# with a message naming it', (input, message) => {
    expect(() => planLogBatch(input)).toThrow(MlflowInputError);
    expect(() => planLogBatch(input)).toThrow(message);
  });
});
