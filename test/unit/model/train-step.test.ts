import { reseedDropout } from '../../../src/domain/model/engine/dropout-mask';
import { fusedAdam } from '../../../src/domain/model/engine/fused-adam';
import { assertTrainable, makeTrainStep, measure } from '../../../src/domain/model/engine/train-step';
import type { LayersModel } from '../../../src/domain/model/tf';
import { seededCnn, tf, useStepBatch } from './tf';

jest.setTimeout(60_000);

const batch = useStepBatch();
const model = () => seededCnn();

function weights(m: LayersModel): Float32Array[] {
  return m.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('makeTrainStep', () => {
  it("takes the same step as model.fit's train function: same loss, accuracy and weights", async () => {
    const viaFit = model();
    const viaStep = model();
    const [fitLoss, fitAcc] = (await viaFit.trainOnBatch(batch.xs, batch.ys)) as number[];
    const totals = makeTrainStep(tf, viaStep)(batch.xs, batch.ys);
    expect(totals.loss).toBe(fitLoss);
    expect(totals.correct / 64).toBeCloseTo(fitAcc!, 6);
    const [a, b] = [weights(viaFit), weights(viaStep)];
    a.forEach((w, i) => expect(w).toEqual(b[i]));
    expect(viaStep.optimizer.iterations).toBe(1);
    viaFit.dispose();
    viaStep.dispose();
  });

  it('with the fused Adam update, ends within float rounding of the optimizer path', async () => {
    const plain = model();
    const fused = model();
    const update = (await fusedAdam(tf, fused))!;
    const stepPlain = makeTrainStep(tf, plain);
    const stepFused = makeTrainStep(tf, fused, update);
    for (let i = 0; i < 3; i++) {
      reseedDropout(plain, i + 1);
      reseedDropout(fused, i + 1);
      const p = stepPlain(batch.xs, batch.ys);
      const f = stepFused(batch.xs, batch.ys);
      expect(Math.abs(p.loss - f.loss)).toBeLessThan(1e-4);
    }
    update.dispose();
    const [a, b] = [weights(plain), weights(fused)];
    const maxDiff = Math.max(
      ...a.map((w, i) => w.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i]![j]!)), 0)),
    );
    expect(maxDiff).toBeLessThan(1e-5);
    plain.dispose();
    fused.dispose();
  });

  it('refuses a model compiled with another loss, naming it', () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [784] })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    expect(() => assertTrainable(m)).toThrow(/"meanSquaredError".*categoricalCrossentropy.*compileCnn/);
    m.dispose();
  });
});

describe('measure', () => {
  it('gives the loss and accuracy that model.evaluate gives, batch by batch', async () => {
    const m = model();
    const ours = measure(tf, m, batch.xs, batch.ys, 24);
    const [loss, acc] = m.evaluate(batch.xs, batch.ys, { batchSize: 24 }) as ReturnType<typeof tf.scalar>[];
    expect(ours.loss).toBeCloseTo(loss!.dataSync()[0]!, 5);
    expect(ours.accuracy).toBeCloseTo(acc!.dataSync()[0]!, 6);
    tf.dispose([loss!, acc!]);
    m.dispose();
  });
});
