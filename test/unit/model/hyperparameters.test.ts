import { loadConfig } from '../../../src/config';
import {
  fineTuneHyperparameters,
  hyperparametersFromConfig,
  nextScheduledRate,
} from '../../../src/domain/model/hyperparameters';
import { replayCountFor } from '../../../src/domain/model/fine-tune';

const cfg = loadConfig({ ...process.env, FINE_TUNE_LEARNING_RATE: '0.0002', SEED: '7' });

describe('fineTuneHyperparameters', () => {
  it('trains at the fine-tuning rate, with the bootstrap settings otherwise', () => {
    const h = fineTuneHyperparameters(cfg.training, 3, 'cycle-a');
    const base = hyperparametersFromConfig(cfg.training);
    expect(h.learningRate).toBe(0.0002);
    expect(h.epochs).toBe(3);
    expect({ ...h, learningRate: 0, epochs: 0, seed: 0 }).toEqual({
      ...base,
      learningRate: 0,
      epochs: 0,
      seed: 0,
    });
  });

  it('gives each cycle its own seed, the same on every retry of that cycle', () => {
    const a = fineTuneHyperparameters(cfg.training, 1, 'cycle-a').seed;
    expect(fineTuneHyperparameters(cfg.training, 1, 'cycle-a').seed).toBe(a);
    expect(fineTuneHyperparameters(cfg.training, 1, 'cycle-b').seed).not.toBe(a);
    const other = loadConfig({ ...process.env, SEED: '8' });
    expect(fineTuneHyperparameters(other.training, 1, 'cycle-a').seed).not.toBe(a);
  });
});

describe('the fine-tuning learning rate', () => {
  it('continues the champion schedule where it ended: learningRate·decay^epochs', () => {
    expect(nextScheduledRate({ learningRate: 0.001, learningRateDecay: 0.5, epochs: 2 })).toBeCloseTo(
      0.00025,
      12,
    );
    expect(nextScheduledRate({ learningRate: 0.001, epochs: 3 })).toBeCloseTo(0.001, 12);
    expect(nextScheduledRate({ learningRate: '0.001', epochs: 3 })).toBeUndefined();
    expect(nextScheduledRate(undefined)).toBeUndefined();
  });

  it('is the champion rate after a short bootstrap, and FINE_TUNE_LEARNING_RATE after a long one', () => {
    const short = { learningRate: 0.001, learningRateDecay: 0.85, epochs: 1 };
    const long = { learningRate: 0.001, learningRateDecay: 0.85, epochs: 15 };
    expect(fineTuneHyperparameters(cfg.training, 2, 'c', short).learningRate).toBeCloseTo(0.00085, 12);
    expect(fineTuneHyperparameters(cfg.training, 2, 'c', long).learningRate).toBe(0.0002);
    expect(fineTuneHyperparameters(cfg.training, 2, 'c').learningRate).toBe(0.0002);
  });
});

describe('replayCountFor', () => {
  it('makes replay the given share of the mix, capped by the pool', () => {
    expect(replayCountFor(2000, 100_000, 0.5)).toBe(2000);
    expect(replayCountFor(1000, 100_000, 0.75)).toBe(3000);
    expect(replayCountFor(2000, 500, 0.5)).toBe(500);
    expect(replayCountFor(2000, 100_000, 0)).toBe(0);
  });
});
