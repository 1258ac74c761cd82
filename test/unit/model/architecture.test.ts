import { buildCnn, CNN_PARAMS, createCnn } from '../../../src/domain/model/architecture';
import { HYPER, tf } from './tf';

describe('the CNN', () => {
  it('is the demo architecture with 1,199,882 parameters', () => {
    const model = buildCnn(tf, 1);
    try {
      expect(model.countParams()).toBe(CNN_PARAMS);
      expect(CNN_PARAMS).toBe(1_199_882);
      expect(model.layers.map((l) => l.getClassName())).toEqual([
        'Conv2D',
        'Conv2D',
        'MaxPooling2D',
        'Dropout',
        'Flatten',
        'Dense',
        'Dropout',
        'Dense',
      ]);
      expect(model.layers.map((l) => l.outputShape)).toEqual([
        [null, 26, 26, 32],
        [null, 24, 24, 64],
        [null, 12, 12, 64],
        [null, 12, 12, 64],
        [null, 9216],
        [null, 128],
        [null, 128],
        [null, 10],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('starts from the same weights for the same seed and from other weights for another', () => {
    const weights = (seed: number) => {
      const model = createCnn(tf, { ...HYPER, seed });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    const a = weights(11);
    expect(weights(11)).toEqual(a);
    expect(weights(12)[0]).not.toEqual(a[0]);
  });
});
