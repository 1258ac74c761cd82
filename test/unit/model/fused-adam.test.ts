import { buildCnn, compileCnn } from '../../../src/domain/model/architecture';
import { fusedAdam } from '../../../src/domain/model/engine/fused-adam';
import type { LayersModel, Tensor } from '../../../src/domain/model/tf';
import type { Variable } from '@tensorflow/tfjs-node';
import { HYPER, tf } from './tf';

/** A built, compiled CNN; two calls with the same seed give identical weights. */
function cnn(optimizer: 'adam' | 'sgd' = 'adam'): LayersModel {
  const model = buildCnn(tf, 11);
  model.build([null, 28, 28, 1]);
  compileCnn(tf, model, { ...HYPER, optimizer });
  return model;
}

const variables = (model: LayersModel) => model.trainableWeights.map((w) => w.read() as Variable);

/** Seeded gradients for every trainable weight, keyed by variable name as tf.variableGrads keys them. */
function gradients(model: LayersModel, step: number): Record<string, Tensor> {
  return Object.fromEntries(
    variables(model).map((v, i) => [
      v.name,
      // A zero seed means unseeded to tfjs, hence the + 1.
      tf.randomNormal(v.shape, 0, 0.1, 'float32', step * 100 + i + 1),
    ]),
  );
}

function maxDiff(a: LayersModel, b: LayersModel): number {
  const wa = a.getWeights().map((w) => w.dataSync() as Float32Array);
  const wb = b.getWeights().map((w) => w.dataSync() as Float32Array);
  return Math.max(...wa.map((w, i) => w.reduce((m, v, j) => Math.max(m, Math.abs(v - wb[i]![j]!)), 0)));
}

const STEPS = 5;

describe('fusedAdam', () => {
  it('updates the weights as tfjs Adam does, and hands its state back to the optimizer', async () => {
    const reference = cnn();
    const fused = cnn();
    const update = (await fusedAdam(tf, fused))!;
    expect(update).toBeDefined();
    for (let step = 0; step < STEPS; step++) {
      const g1 = gradients(reference, step);
      const g2 = gradients(fused, step);
      reference.optimizer.applyGradients(g1);
      update.apply(g2);
      tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    }
    expect(maxDiff(reference, fused)).toBeLessThan(1e-6);
    // The weights moved: ~lr per step for Adam.
    expect(maxDiff(reference, cnn())).toBeGreaterThan(STEPS * HYPER.learningRate * 0.5);

    await update.sync();
    update.dispose();
    expect(fused.optimizer.iterations).toBe(STEPS);
    const [refState, fusedState] = await Promise.all([
      reference.optimizer.getWeights(),
      fused.optimizer.getWeights(),
    ]);
    // Named as tfjs's Adam names its state, so checkpoints look the same.
    const slotNames = (m: LayersModel) => {
      const names = variables(m).map((v) => v.name);
      return ['iter', ...names.map((n) => `${n}/m`), ...names.map((n) => `${n}/v`)];
    };
    expect(refState.map((w) => w.name)).toEqual(slotNames(reference));
    expect(fusedState.map((w) => w.name)).toEqual(slotNames(fused));
    fusedState.slice(1).forEach((w, i) => {
      const ref = refState[i + 1]!.tensor.dataSync();
      const values = w.tensor.dataSync() as Float32Array;
      const diff = values.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j]!)), 0);
      expect(diff).toBeLessThan(1e-6);
    });
    tf.dispose([refState[0]!.tensor, fusedState[0]!.tensor]);

    // Continuing with tfjs's own Adam from the handed-back state stays on the reference's path.
    const g1 = gradients(reference, STEPS);
    const g2 = gradients(fused, STEPS);
    reference.optimizer.applyGradients(g1);
    fused.optimizer.applyGradients(g2);
    tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    expect(maxDiff(reference, fused)).toBeLessThan(1e-6);
    reference.dispose();
    fused.dispose();
  });

  it('picks up the moments a resumed optimizer holds', async () => {
    const reference = cnn();
    const resumed = cnn();
    for (let step = 0; step < 2; step++) {
      for (const m of [reference, resumed]) {
        const g = gradients(m, step);
        m.optimizer.applyGradients(g);
        tf.dispose(Object.values(g));
      }
    }
    const update = (await fusedAdam(tf, resumed))!;
    const g1 = gradients(reference, 2);
    const g2 = gradients(resumed, 2);
    reference.optimizer.applyGradients(g1);
    update.apply(g2);
    tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    await update.sync();
    update.dispose();
    expect(resumed.optimizer.iterations).toBe(3);
    expect(maxDiff(reference, resumed)).toBeLessThan(1e-6);
    reference.dispose();
    resumed.dispose();
  });

  it('leaves no tensor behind once synced and disposed', async () => {
    const model = cnn();
    const cycle = async () => {
      const update = (await fusedAdam(tf, model))!;
      const g = gradients(model, 0);
      update.apply(g);
      tf.dispose(Object.values(g));
      await update.sync();
      update.dispose();
    };
    await cycle(); // the optimizer gets its moment variables on the first sync
    const baseline = tf.memory().numTensors;
    await cycle();
    await cycle();
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('declines other optimizers, which then train as before', async () => {
    const model = cnn('sgd');
    expect(await fusedAdam(tf, model)).toBeUndefined();
    model.dispose();
  });
});
