import { DynamicBatcher, type RunBatch } from '../../../src/domain/serving/batcher';

/** A fake model: output row = [sum of the image's inputs], and a record of each batch's size. */
function fakeRun(sizes: number[], delayMs = 5): RunBatch {
  return async (inputs, count) => {
    sizes.push(count);
    await new Promise((r) => setTimeout(r, delayMs));
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = inputs.subarray(i * 2, i * 2 + 2).reduce((a, b) => a + b, 0);
    return { versionId: 'v1', values: out };
  };
}
const images = (...values: number[]) => Float32Array.from(values.flatMap((v) => [v, v]));

describe('DynamicBatcher', () => {
  it('runs requests that arrive within the delay as one batch and hands each its own rows', async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher(fakeRun(sizes), {
      maxBatch: 64,
      maxDelayMs: 20,
      inputWidth: 2,
      outputWidth: 1,
    });
    const results = await Promise.all([
      b.submit(images(1), 1),
      b.submit(images(2, 3), 2),
      b.submit(images(4), 1),
    ]);
    expect(sizes).toEqual([4]);
    expect(results.map((r) => Array.from(r.values))).toEqual([[2], [4, 6], [8]]);
    expect(results.every((r) => r.versionId === 'v1')).toBe(true);
    expect(b.stats()).toEqual({ batches: 1, images: 4, largestBatch: 4 });
  });

  it('never exceeds maxBatch with whole requests, and runs a request larger than maxBatch alone', async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher(fakeRun(sizes), {
      maxBatch: 3,
      maxDelayMs: 5000,
      inputWidth: 2,
      outputWidth: 1,
    });
    const t0 = performance.now();
    await Promise.all([
      b.submit(images(1, 1), 2),
      b.submit(images(1, 1), 2),
      b.submit(images(1, 1, 1, 1, 1), 5),
    ]);
    // A full batch does not wait for the delay.
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(sizes).toEqual([2, 2, 5]);
  });

  it('queues requests that arrive while a batch runs and runs them together right after it', async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher(fakeRun(sizes, 30), {
      maxBatch: 64,
      maxDelayMs: 0,
      inputWidth: 2,
      outputWidth: 1,
    });
    const first = b.submit(images(1), 1);
    await new Promise((r) => setTimeout(r, 5));
    const later = [b.submit(images(1), 1), b.submit(images(1), 1), b.submit(images(1), 1)];
    await Promise.all([first, ...later]);
    expect(sizes).toEqual([1, 3]);
  });

  it('rejects every request of a failed batch, and keeps serving later ones', async () => {
    let fail = true;
    const b = new DynamicBatcher(
      async (_inputs, count) => {
        if (fail) throw new Error('model broke');
        return { versionId: 'v2', values: new Float32Array(count) };
      },
      { maxBatch: 8, maxDelayMs: 5, inputWidth: 2, outputWidth: 1 },
    );
    const failed = await Promise.allSettled([b.submit(images(1), 1), b.submit(images(1), 1)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(b.submit(images(1), 1)).resolves.toMatchObject({ versionId: 'v2' });
  });

  it('rejects a request whose values do not fill its images, and a model answering the wrong size', async () => {
    const b = new DynamicBatcher(async () => ({ versionId: 'v', values: new Float32Array(1) }), {
      maxBatch: 8,
      maxDelayMs: 0,
      inputWidth: 2,
      outputWidth: 1,
    });
    await expect(b.submit(new Float32Array(3), 2)).rejects.toThrow(/3 values is not 2 × 2/);
    await expect(b.submit(images(1, 2), 2)).rejects.toThrow(/returned 1 values for 2 images/);
  });
});
