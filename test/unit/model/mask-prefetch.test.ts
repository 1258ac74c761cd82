import { buildCnn } from '../../../src/domain/model/architecture';
import { reseedDropout } from '../../../src/domain/model/engine/dropout-mask';
import { dropoutMask, plannedMasks, useFastDropout } from '../../../src/domain/model/engine/dropout-mask';
import { startMaskPrefetch, type MaskPrefetcher } from '../../../src/domain/model/engine/mask-prefetch';
import type { Tensor } from '../../../src/domain/model/tf';
import { tf } from './tf';

describe('startMaskPrefetch', () => {
  let masks: MaskPrefetcher;
  beforeEach(() => {
    masks = startMaskPrefetch();
  });
  afterEach(() => masks.close());

  it('returns the masks drawn on the worker, identical to drawing them in place', () => {
    const jobs = [
      { count: 50_000, rate: 0.25, seed: 11 },
      { count: 2_000, rate: 0.5, seed: 12 },
    ];
    masks.prefetch(jobs);
    for (const j of jobs)
      expect(masks.take(j.count, j.rate, j.seed)).toEqual(dropoutMask(j.count, j.rate, j.seed));
    expect(masks.served).toEqual({ ahead: 2, inPlace: 0 });
  });

  it('draws a mask nobody asked for in place, with the same result', () => {
    expect(masks.take(1000, 0.5, 3)).toEqual(dropoutMask(1000, 0.5, 3));
    expect(masks.served).toEqual({ ahead: 0, inPlace: 1 });
  });

  it('keeps the previous request for the step about to run, and drops older ones', () => {
    masks.prefetch([{ count: 100, rate: 0.5, seed: 1 }]);
    masks.prefetch([{ count: 100, rate: 0.5, seed: 2 }]);
    masks.prefetch([{ count: 100, rate: 0.5, seed: 3 }]);
    expect(masks.take(100, 0.5, 2)).toEqual(dropoutMask(100, 0.5, 2));
    expect(masks.take(100, 0.5, 1)).toEqual(dropoutMask(100, 0.5, 1));
    expect(masks.served).toEqual({ ahead: 1, inPlace: 1 });
  });
});

describe('plannedMasks', () => {
  it('predicts exactly the masks a training step of the CNN takes', async () => {
    const model = buildCnn(tf, 5);
    const masks = startMaskPrefetch();
    try {
      useFastDropout(tf, model, masks);
      const x = tf.ones([3, 28, 28, 1]);
      // Sizes come from the built layers' output shapes: 3 × 12×12×64 and 3 × 128.
      const jobs = plannedMasks(model, 8, 3);
      expect(jobs.map((j) => [j.count, j.rate])).toEqual([
        [3 * 12 * 12 * 64, 0.25],
        [3 * 128, 0.5],
      ]);
      masks.prefetch(jobs);
      reseedDropout(model, 8);
      const prefetched = model.apply(x, { training: true }) as Tensor;
      expect(masks.served).toEqual({ ahead: 2, inPlace: 0 });
      // Same output as masks drawn in place with the same seeds.
      useFastDropout(tf, model);
      reseedDropout(model, 8);
      const inPlace = model.apply(x, { training: true }) as Tensor;
      expect(Array.from(prefetched.dataSync())).toEqual(Array.from(inPlace.dataSync()));
      tf.dispose([x, prefetched, inPlace]);
    } finally {
      await masks.close();
      model.dispose();
    }
  });
});
