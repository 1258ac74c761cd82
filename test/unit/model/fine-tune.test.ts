import { createCnn } from '../../../src/domain/model/architecture';
import { fineTune, mixReplay } from '../../../src/domain/model/fine-tune';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from './tf';

jest.setTimeout(60_000);

const earlier = readMnist('train', 1000);
const fresh = readMnist('train', 200, 30_000);

describe('mixReplay', () => {
  it('mixes the configured share of earlier samples with all the new ones', () => {
    const half = mixReplay(fresh, earlier, 0.5, 1);
    expect(half).toMatchObject({ newCount: 200, replayCount: 200 });
    expect(half.set.count).toBe(400);
    const quarter = mixReplay(fresh, earlier, 0.25, 1);
    expect(quarter.replayCount).toBe(67); // 67 / 267 ≈ 0.25
    expect(mixReplay(fresh, earlier, 0, 1).set.count).toBe(200);

    // New samples come first, then the replayed ones, copied with their labels.
    expect(half.set.images.subarray(0, fresh.images.length)).toEqual(fresh.images);
    half.replayIndices.forEach((from, i) => {
      expect(half.set.labels[200 + i]).toBe(earlier.labels[from]);
      const at = (200 + i) * 784;
      expect(half.set.images.subarray(at, at + 784)).toEqual(
        earlier.images.subarray(from * 784, (from + 1) * 784),
      );
    });
  });

  it('selects replay samples by seed, without repeats', () => {
    const a = mixReplay(fresh, earlier, 0.5, 1).replayIndices;
    expect(mixReplay(fresh, earlier, 0.5, 1).replayIndices).toEqual(a);
    expect(mixReplay(fresh, earlier, 0.5, 2).replayIndices).not.toEqual(a);
    expect(new Set(a).size).toBe(a.length);
  });

  it('uses all earlier data when there is too little, and rejects a share of 1', () => {
    expect(mixReplay(fresh, readMnist('train', 50), 0.9, 1).replayCount).toBe(50);
    expect(() => mixReplay(fresh, earlier, 1, 1)).toThrow(/REPLAY_SHARE below 1/);
  });
});

describe('fineTune', () => {
  it('continues from the champion on new data plus replay and improves on the new data', async () => {
    const champion = createCnn(tf, HYPER);
    const before = champion.getWeights()[0]!.dataSync().slice();
    const result = await fineTune(tf, champion, fresh, earlier, {
      hyper: { ...HYPER, epochs: 1 },
      replayShare: 0.5,
    });
    expect(result).toMatchObject({ epochsCompleted: 1, cancelled: false });
    expect(result.mix).toMatchObject({ newCount: 200, replayCount: 200 });
    expect(result.history[0]!.accuracy).toBeGreaterThan(0);
    expect(champion.getWeights()[0]!.dataSync()).not.toEqual(before);
    champion.dispose();
  });
});
