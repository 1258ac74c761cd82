import { createCnn } from '../../../src/domain/model/architecture';
import { evaluate, predict } from '../../../src/domain/model/evaluate';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from './tf';

const set = readMnist('t10k', 300);

describe('evaluate and predict', () => {
  const model = createCnn(tf, HYPER);
  afterAll(() => model.dispose());

  it('gives a confusion matrix consistent with the predictions, batch size aside', async () => {
    const evaluation = await evaluate(tf, model, set, 64);
    const predictions = await predict(tf, model, set.images);

    const flat = evaluation.confusion.flat();
    expect(flat.reduce((a, b) => a + b, 0)).toBe(set.count);
    const diagonal = evaluation.confusion.reduce((sum, row, k) => sum + row[k]!, 0);
    const correct = predictions.filter((p, i) => p.digit === set.labels[i]).length;
    expect(diagonal).toBe(correct);
    expect(evaluation.accuracy).toBeCloseTo(correct / set.count, 10);
    for (let k = 0; k < 10; k++) {
      const actualK = predictions.filter((_p, i) => set.labels[i] === k);
      expect(evaluation.confusion[k]!.reduce((a, b) => a + b, 0)).toBe(actualK.length);
      expect(evaluation.perClassAccuracy[k]).toBeCloseTo(
        actualK.filter((p) => p.digit === k).length / actualK.length,
        10,
      );
    }
    const meanLoss =
      predictions.reduce((sum, p, i) => sum - Math.log(Math.max(p.probabilities[set.labels[i]!]!, 1e-7)), 0) /
      set.count;
    expect(evaluation.loss).toBeCloseTo(meanLoss, 4);
    // An untrained model is close to uniform: loss near ln(10).
    expect(evaluation.loss).toBeGreaterThan(1.5);

    expect(await evaluate(tf, model, set, 1000)).toEqual(evaluation);
  });

  it('predicts a digit and ten probabilities that sum to one', async () => {
    const [first, second] = await predict(tf, model, set.images.subarray(0, 2 * 784));
    expect(first!.probabilities).toHaveLength(10);
    expect(first!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(first!.digit).toBe(first!.probabilities.indexOf(Math.max(...first!.probabilities)));
    expect(second).toBeDefined();
  });

  it('rejects malformed input with a message saying what is wrong', async () => {
    await expect(predict(tf, model, new Uint8Array(785))).rejects.toThrow(
      /not a whole number of 28×28 images/,
    );
    await expect(evaluate(tf, model, { ...set, count: 301 })).rejects.toThrow(/expected 301 × 784/);
    const badLabels = { ...set, labels: new Uint8Array(set.count).fill(12) };
    await expect(evaluate(tf, model, badLabels)).rejects.toThrow(/label 12 at sample 0 is not a digit/);
    await expect(
      evaluate(tf, model, { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 }),
    ).rejects.toThrow(/empty/);
  });
});
