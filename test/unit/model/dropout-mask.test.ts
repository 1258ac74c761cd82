import { buildCnn } from '../../../src/domain/model/architecture';
import { reseedDropout } from '../../../src/domain/model/engine/dropout-mask';
import { dropoutMask, useFastDropout } from '../../../src/domain/model/engine/dropout-mask';
import type { Tensor } from '../../../src/domain/model/tf';
import { tf } from './tf';

describe('dropoutMask', () => {
  it('drops the given share and scales the kept units by 1/(1-rate)', () => {
    for (const rate of [0.25, 0.5]) {
      const mask = dropoutMask(200_000, rate, 12345);
      const dropped = mask.filter((v) => v === 0).length / mask.length;
      expect(Math.abs(dropped - rate)).toBeLessThan(0.005);
      expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    }
  });

  it('keeps the share exact for rates drawn a few bits at a time and for those that are not', () => {
    // 0.375 = 3/8 takes 3 bits per element from a table; 0.3 has no short binary form: 32 bits each.
    for (const rate of [0.375, 0.3, 0.125]) {
      const mask = dropoutMask(300_000, rate, 99);
      const dropped = mask.filter((v) => v === 0).length / mask.length;
      expect(Math.abs(dropped - rate)).toBeLessThan(0.005);
    }
  });

  it('draws elements independently: no pattern repeats within one 32-bit draw', () => {
    // With 2 bits per element, 16 elements share a draw; neighbours must still be uncorrelated.
    const mask = dropoutMask(160_000, 0.25, 5);
    let bothDropped = 0;
    for (let i = 0; i + 1 < mask.length; i += 2) if (mask[i] === 0 && mask[i + 1] === 0) bothDropped++;
    expect(Math.abs(bothDropped / (mask.length / 2) - 0.0625)).toBeLessThan(0.005);
  });

  it('is the same for the same seed and different for another', () => {
    expect(dropoutMask(1000, 0.5, 7)).toEqual(dropoutMask(1000, 0.5, 7));
    expect(dropoutMask(1000, 0.5, 7)).not.toEqual(dropoutMask(1000, 0.5, 8));
  });
});

describe('useFastDropout', () => {
  const model = buildCnn(tf, 5);
  useFastDropout(tf, model);
  useFastDropout(tf, model); // idempotent
  const dropout = model.layers.find((l) => l.getClassName() === 'Dropout')!;
  const x = tf.ones([4, 12, 12, 64]);
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it('passes inputs through unchanged outside training', () => {
    const y = dropout.apply(x, { training: false }) as Tensor;
    expect(Array.from(y.dataSync()).every((v) => v === 1)).toBe(true);
  });

  it('drops about a quarter in training, with a mask that follows the per-step seed', () => {
    reseedDropout(model, 99);
    const a = (dropout.apply(x, { training: true }) as Tensor).dataSync();
    const b = (dropout.apply(x, { training: true }) as Tensor).dataSync();
    reseedDropout(model, 100);
    const c = (dropout.apply(x, { training: true }) as Tensor).dataSync();
    const zeros = a.filter((v) => v === 0).length / a.length;
    expect(zeros).toBeGreaterThan(0.2);
    expect(zeros).toBeLessThan(0.3);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('keeps the layer class and config, so saved models are unchanged', () => {
    expect(dropout.getClassName()).toBe('Dropout');
    expect(dropout.getConfig()).toMatchObject({ rate: 0.25 });
  });
});
