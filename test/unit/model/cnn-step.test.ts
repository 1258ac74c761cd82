import { reseedDropout } from '../../../src/domain/model/engine/dropout-mask';
import { makeCnnStep } from '../../../src/domain/model/engine/cnn-step';
import { plannedMasks, useFastDropout } from '../../../src/domain/model/engine/dropout-mask';
import { startMaskPrefetch } from '../../../src/domain/model/engine/mask-prefetch';
import type { OptimizerUpdate } from '../../../src/domain/model/engine/fused-adam';
import type { LayersModel, Tensor } from '../../../src/domain/model/tf';
import { seededCnn, tf, useStepBatch } from './tf';

jest.setTimeout(60_000);

const batch = useStepBatch();
const cnn = () => seededCnn({ built: true });

/** An update that only records the gradients it is given. */
function recorder() {
  const seen: Record<string, Float32Array> = {};
  const update: OptimizerUpdate = {
    apply: (grads) => {
      for (const [name, g] of Object.entries(grads)) seen[name] = g.dataSync() as Float32Array;
    },
    setLearningRate: () => undefined,
    sync: async () => undefined,
    dispose: () => undefined,
  };
  return { seen, update };
}

/** tfjs's own gradients of the compiled loss (what train-step.ts applies), same seeds, same masks. */
function reference(m: LayersModel) {
  let correct = 0;
  const { value, grads } = tf.variableGrads(() => {
    const probs = m.apply(batch.xs, { training: true }) as Tensor;
    correct = tf.sum(tf.metrics.categoricalAccuracy(batch.ys, probs)).dataSync()[0]!;
    return tf.mean(tf.metrics.categoricalCrossentropy(batch.ys, probs)) as ReturnType<typeof tf.scalar>;
  });
  const out = {
    loss: value.dataSync()[0]!,
    correct,
    grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('makeCnnStep', () => {
  it("computes the same loss, hits and gradients as tfjs's tape on the CNN", () => {
    const m = cnn();
    const ref = reference(m);
    const { seen, update } = recorder();
    reseedDropout(m, 42);
    const step = makeCnnStep(tf, m, update)!;
    expect(step).toBeDefined();
    const totals = step(batch.xs, batch.ys);
    expect(totals.loss).toBeCloseTo(ref.loss, 5);
    expect(totals.correct).toBe(ref.correct);
    expect(Object.keys(seen).sort()).toEqual(Object.keys(ref.grads).sort());
    for (const [name, g] of Object.entries(ref.grads)) {
      const mine = seen[name]!;
      const scale = g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      const diff = g.reduce((a, v, i) => Math.max(a, Math.abs(v - mine[i]!)), 0);
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-4);
    }
    m.dispose();
  });

  it('takes the masks train() drew ahead for this step', async () => {
    const m = cnn();
    const masks = startMaskPrefetch();
    try {
      useFastDropout(tf, m, masks);
      const step = makeCnnStep(tf, m, recorder().update)!;
      masks.prefetch(plannedMasks(m, 99, 64));
      reseedDropout(m, 99);
      step(batch.xs, batch.ys);
      expect(masks.served).toEqual({ ahead: 2, inPlace: 0 });
    } finally {
      await masks.close();
      m.dispose();
    }
  });

  it('frees every tensor it makes', () => {
    const m = cnn();
    const step = makeCnnStep(tf, m, recorder().update)!;
    step(batch.xs, batch.ys);
    const before = tf.memory().numTensors;
    step(batch.xs, batch.ys);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('declines what it does not implement, so train() uses the generic step', () => {
    const m = cnn();
    expect(makeCnnStep(tf, m, undefined)).toBeUndefined(); // no fused update
    const other = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 10, activation: 'sigmoid' }),
      ],
    });
    other.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    expect(makeCnnStep(tf, other, recorder().update)).toBeUndefined();
    const mse = cnn();
    mse.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    expect(makeCnnStep(tf, mse, recorder().update)).toBeUndefined();
    [m, other, mse].forEach((x) => x.dispose());
  });
});
