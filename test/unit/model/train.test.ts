import { createCnn } from '../../../src/domain/model/architecture';
import { evaluate } from '../../../src/domain/model/evaluate';
import { loadModel, saveModel } from '../../../src/domain/model/persistence';
import { train, type BatchProgress, type EpochMetrics } from '../../../src/domain/model/train';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from './tf';

jest.setTimeout(60_000);

const trainSet = readMnist('train', 1536);
const validation = readMnist('train', 256, 50_000);
const testSet = readMnist('t10k', 512);

describe('train', () => {
  it('learns digits far better than chance, reporting every batch and epoch', async () => {
    const model = createCnn(tf, HYPER);
    const batches: BatchProgress[] = [];
    const epochs: EpochMetrics[] = [];
    const result = await train(tf, model, trainSet, {
      hyper: HYPER,
      validation,
      onBatchEnd: (p) => batches.push(p),
      onEpochEnd: (_epoch, m, metrics) => {
        expect(m).toBe(model);
        epochs.push(metrics);
      },
    });
    const evaluation = await evaluate(tf, model, testSet);
    model.dispose();

    expect(result).toMatchObject({ epochsCompleted: 2, cancelled: false });
    expect(batches).toHaveLength(2 * 24);
    expect(batches.at(-1)).toMatchObject({ epoch: 1, batch: 23, batches: 24 });
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(epochs[1]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs[1]!.valAccuracy).toBeGreaterThan(0.8);
    expect(epochs[1]!.imagesPerSecond).toBeGreaterThan(0);
    expect(evaluation.accuracy).toBeGreaterThan(0.8); // chance is 0.1
    console.log(
      `train: ${epochs.map((e) => e.imagesPerSecond.toFixed(0)).join(', ')} images/s per epoch; ` +
        `test accuracy ${evaluation.accuracy.toFixed(3)} after 2 epochs on ${trainSet.count} images`,
    );
  });

  it('stops cleanly between batches when the signal aborts, without reporting a partial epoch', async () => {
    const model = createCnn(tf, HYPER);
    const controller = new AbortController();
    const onEpochEnd = jest.fn();
    let seen = 0;
    const result = await train(tf, model, trainSet, {
      hyper: HYPER,
      signal: controller.signal,
      onEpochEnd,
      onBatchEnd: () => {
        if (++seen === 3) controller.abort();
      },
    });
    model.dispose();
    expect(result).toEqual({ epochsCompleted: 0, cancelled: true, history: [] });
    expect(seen).toBe(3);
    expect(onEpochEnd).not.toHaveBeenCalled();
  });

  it('resumed from an epoch checkpoint, ends where the uninterrupted run ends', async () => {
    const small = readMnist('train', 256, 2000);
    // With a decaying rate: the checkpoint holds epoch 0's rate, the resumed epoch must use epoch 1's.
    const hyper = { ...HYPER, epochs: 2, learningRateDecay: 0.5 };
    const straight = createCnn(tf, hyper);
    await train(tf, straight, small, { hyper });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
    const first = createCnn(tf, hyper);
    const cut = new AbortController();
    await train(tf, first, small, {
      hyper,
      signal: cut.signal,
      onEpochEnd: async (epoch, m) => {
        await saveModel(tf, m, path.join(dir, 'checkpoint'), { includeOptimizer: true, overwrite: true });
        if (epoch === 0) cut.abort();
      },
    });
    first.dispose();
    const resumed = await loadModel(tf, path.join(dir, 'checkpoint'));
    const result = await train(tf, resumed, small, { hyper, initialEpoch: 1 });
    expect(result.history.map((h) => h.epoch)).toEqual([1]);

    const a = straight.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.getWeights().map((w) => Array.from(w.dataSync()));
    a.forEach((w, i) => {
      const maxDiff = w.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i]![j]!)), 0);
      expect(maxDiff).toBeLessThan(1e-4);
    });
    straight.dispose();
    resumed.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains epoch e at learningRate·decayᵉ', async () => {
    const model = createCnn(tf, HYPER);
    const rates: number[] = [];
    await train(tf, model, readMnist('train', 128, 3000), {
      hyper: { ...HYPER, epochs: 3, learningRateDecay: 0.5 },
      onEpochEnd: (_e, m) => {
        rates.push((m.optimizer.getConfig() as { learningRate: number }).learningRate);
      },
    });
    model.dispose();
    expect(rates).toEqual([HYPER.learningRate, HYPER.learningRate / 2, HYPER.learningRate / 4]);
  });

  it('rejects a decay outside (0, 1] with a clear message', async () => {
    const model = createCnn(tf, HYPER);
    await expect(train(tf, model, trainSet, { hyper: { ...HYPER, learningRateDecay: 1.5 } })).rejects.toThrow(
      /learningRateDecay must be in \(0, 1\]/,
    );
    model.dispose();
  });

  it('rejects an uncompiled model and a bad initial epoch with a clear message', async () => {
    const model = createCnn(tf, HYPER);
    await expect(train(tf, model, trainSet, { hyper: HYPER, initialEpoch: 5 })).rejects.toThrow(
      /initialEpoch must be an integer in 0\.\.2/,
    );
    const loadedLike = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [784] })] });
    await expect(train(tf, loadedLike, trainSet, { hyper: HYPER })).rejects.toThrow(/not compiled/);
    model.dispose();
    loadedLike.dispose();
  });
});
