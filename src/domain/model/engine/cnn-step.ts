import { trainingMask } from './dropout-mask';
import type { OptimizerUpdate } from './fused-adam';
import { nativeOps, type NativeOps } from './native-ops';
import type { LayersModel, Tensor, Tf } from '../tf';
import type { BatchTotals } from './train-step';

/**
 * A training step for plain sequential CNNs (Conv2D, MaxPooling2D, Dropout, Flatten, Dense: what
 * architecture.ts builds) with the forward and backward pass written out as TensorFlow ops, the way
 * Keras's graph runs them, instead of tfjs's tape:
 *
 * - SoftmaxCrossEntropyWithLogits gives the loss and its gradient in one op, where tfjs differentiates
 *   softmax, clip, log, multiply, sum and mean (~40 small ops). Keras does the same for a softmax output;
 *   tfjs's clipping of probabilities to [1e-7, 1 - 1e-7] is the only difference, visible only when a
 *   prediction is saturated.
 * - BiasAdd / BiasAddGrad instead of a broadcasting Add and a Sum over three axes, ReluGrad on the saved
 *   activation, and no gradient for the input images.
 * - ~35 native ops per step instead of ~117, without tfjs's per-op tape and scope bookkeeping.
 *
 * Same weights, same dropout masks (the layers' per-step seeds), same update (the fused Adam). A model
 * with anything else (another layer or activation, regularizers, channels-first, dilation) gets
 * undefined and trains through train-step.ts; a test checks the gradients of both paths agree.
 */

interface Variable {
  /** The tf.Variable the optimizer updates; its name keys the gradients. */
  read(): Tensor & { name: string };
}

/** The parts of tfjs-layers 4.22's layers read here (the version is pinned). */
interface LayerInternals {
  getClassName(): string;
  activation?: { getClassName(): string } | null;
  kernel?: Variable | null;
  bias?: Variable | null;
  useBias?: boolean;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number[];
  poolSize?: number[];
  noiseShape?: unknown;
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  activityRegularizer?: unknown;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
}

type Stage =
  | { kind: 'conv'; kernel: Variable; bias: Variable; relu: boolean; strides: number[]; padding: string }
  | { kind: 'pool'; size: number[]; strides: number[]; padding: string }
  | { kind: 'dropout'; layer: LayerInternals }
  | { kind: 'flatten' }
  | { kind: 'dense'; kernel: Variable; bias: Variable; relu: boolean };

const plainWeights = (l: LayerInternals) =>
  !l.kernelRegularizer &&
  !l.biasRegularizer &&
  !l.activityRegularizer &&
  !l.kernelConstraint &&
  !l.biasConstraint &&
  l.useBias !== false &&
  !!l.kernel &&
  !!l.bias;

/** The model as stages, or undefined when any layer is outside what this step implements. */
function stagesOf(model: LayersModel): Stage[] | undefined {
  const layers = model.layers as unknown as LayerInternals[];
  const stages: Stage[] = [];
  // Conv2D and pooling take NHWC images, Dense a flat [batch, features] input.
  let flat = false;
  for (const [i, l] of layers.entries()) {
    const last = i === layers.length - 1;
    const activation = l.activation?.getClassName();
    switch (l.getClassName()) {
      case 'Conv2D':
        if (
          flat ||
          !plainWeights(l) ||
          l.dataFormat !== 'channelsLast' ||
          !l.dilationRate?.every((d) => d === 1) ||
          (l.padding !== 'valid' && l.padding !== 'same') ||
          (activation !== 'relu' && activation !== 'linear')
        )
          return undefined;
        stages.push({
          kind: 'conv',
          kernel: l.kernel!,
          bias: l.bias!,
          relu: activation === 'relu',
          strides: l.strides!,
          padding: l.padding.toUpperCase(),
        });
        break;
      case 'MaxPooling2D':
        if (l.dataFormat !== 'channelsLast' || (l.padding !== 'valid' && l.padding !== 'same'))
          return undefined;
        stages.push({
          kind: 'pool',
          size: l.poolSize!,
          strides: l.strides!,
          padding: l.padding.toUpperCase(),
        });
        break;
      case 'Dropout':
        if (l.noiseShape != null) return undefined;
        stages.push({ kind: 'dropout', layer: l });
        break;
      case 'Flatten':
        if (l.dataFormat !== undefined && l.dataFormat !== 'channelsLast') return undefined;
        stages.push({ kind: 'flatten' });
        flat = true;
        break;
      case 'Dense':
        // Softmax only as the output, where the loss takes the logits.
        if (
          !plainWeights(l) ||
          !(activation === 'relu' || activation === 'linear' || (last && activation === 'softmax'))
        )
          return undefined;
        if (!flat || (last && activation !== 'softmax')) return undefined;
        stages.push({ kind: 'dense', kernel: l.kernel!, bias: l.bias!, relu: activation === 'relu' });
        break;
      default:
        return undefined;
    }
  }
  const out = stages.at(-1);
  return out?.kind === 'dense' ? stages : undefined;
}

/**
 * The step for `model`, or undefined when it does not apply (architecture, loss, no native backend, no
 * fused update).
 */
export function makeCnnStep(
  tf: Tf,
  model: LayersModel,
  update: OptimizerUpdate | undefined,
): ((xs: Tensor, ys: Tensor) => BatchTotals) | undefined {
  const ops = nativeOps(tf);
  if (!ops || !update || model.loss !== 'categoricalCrossentropy') return undefined;
  if (model.calculateLosses().length) return undefined;
  const stages = stagesOf(model);
  if (!stages) return undefined;
  const a = attrs(ops);

  return (xs, ys) => {
    const n = xs.shape[0]!;
    const saved: Tensor[][] = [];
    const grads: Record<string, Tensor> = {};
    const [lossSum, correct] = tf.tidy(() => {
      // Forward, keeping what each backward stage needs.
      let h = xs;
      for (const s of stages) {
        const input = h;
        switch (s.kind) {
          case 'conv': {
            const z = ops.run('BiasAdd', a.bias, [
              ops.run('Conv2D', a.conv(s.strides, s.padding), [input, s.kernel.read()]),
              s.bias.read(),
            ]);
            h = s.relu ? ops.run('Relu', a.t, [z]) : z;
            saved.push([input, h]);
            break;
          }
          case 'pool':
            h = ops.run('MaxPool', a.pool(s.size, s.strides, s.padding), [input]);
            saved.push([input, h]);
            break;
          case 'dropout': {
            // From the masks train() drew ahead when it set them up (useFastDropout), else drawn here.
            const values = trainingMask(s.layer, input.size);
            if (!values) {
              saved.push([]);
              break;
            }
            const mask = tf.tensor(values, input.shape, 'float32');
            h = ops.run('Mul', a.t, [input, mask]);
            saved.push([mask]);
            break;
          }
          case 'flatten':
            h = tf.reshape(input, [n, -1]);
            saved.push([input]);
            break;
          case 'dense': {
            const z = ops.run('BiasAdd', a.bias, [
              ops.run('MatMul', a.matMul(false, false), [input, s.kernel.read()]),
              s.bias.read(),
            ]);
            h = s.relu ? ops.run('Relu', a.t, [z]) : z;
            saved.push([input, h]);
            break;
          }
        }
      }
      // h: logits. Per-sample loss and its gradient, then the mean's gradient.
      const [loss, backprop] = ops.runMany('SoftmaxCrossEntropyWithLogits', a.t, [h, ys], 2) as [
        Tensor,
        Tensor,
      ];
      let g = tf.div(backprop, n);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), tf.argMax(ys, 1)), 'float32'));

      // Backward.
      for (let i = stages.length - 1; i >= 0; i--) {
        const s = stages[i]!;
        const keep = saved[i]!;
        const first = i === 0;
        switch (s.kind) {
          case 'conv':
          case 'dense': {
            const [input, out] = keep as [Tensor, Tensor];
            if (s.relu) g = ops.run('ReluGrad', a.t, [g, out]);
            const kernel = s.kernel.read();
            grads[kernel.name] = tf.keep(
              s.kind === 'conv'
                ? ops.run('Conv2DBackpropFilter', a.conv(s.strides, s.padding), [
                    input,
                    tf.tensor1d(kernel.shape, 'int32'),
                    g,
                  ])
                : ops.run('MatMul', a.matMul(true, false), [input, g]),
            );
            grads[s.bias.read().name] = tf.keep(ops.run('BiasAddGrad', a.bias, [g]));
            if (!first)
              g =
                s.kind === 'conv'
                  ? ops.run('Conv2DBackpropInput', a.conv(s.strides, s.padding), [
                      tf.tensor1d(input.shape, 'int32'),
                      kernel,
                      g,
                    ])
                  : ops.run('MatMul', a.matMul(false, true), [g, kernel]);
            break;
          }
          case 'pool': {
            const [input, out] = keep as [Tensor, Tensor];
            if (!first) g = ops.run('MaxPoolGrad', a.pool(s.size, s.strides, s.padding), [input, out, g]);
            break;
          }
          case 'dropout':
            if (keep[0]) g = ops.run('Mul', a.t, [g, keep[0]]);
            break;
          case 'flatten':
            g = tf.reshape(g, keep[0]!.shape);
            break;
        }
      }
      return [tf.sum(loss), hits];
    });
    try {
      update.apply(grads);
      return { loss: lossSum.dataSync()[0]! / n, correct: correct.dataSync()[0]! };
    } finally {
      tf.dispose([lossSum, correct, ...Object.values(grads)]);
    }
  };
}

function attrs(ops: NativeOps) {
  const t = [ops.float32('T')];
  const window = (name: string, v: number[]) => ops.ints(name, [1, v[0]!, v[1]!, 1]);
  return {
    t,
    bias: [...t, ops.string('data_format', 'NHWC')],
    conv: (strides: number[], padding: string) => [
      ...t,
      window('strides', strides),
      ops.string('padding', padding),
      ops.ints('explicit_paddings', []),
      ops.string('data_format', 'NHWC'),
      ops.ints('dilations', [1, 1, 1, 1]),
      ops.bool('use_cudnn_on_gpu', true),
    ],
    pool: (size: number[], strides: number[], padding: string) => [
      ...t,
      window('ksize', size),
      window('strides', strides),
      ops.string('padding', padding),
      ops.string('data_format', 'NHWC'),
    ],
    matMul: (transposeA: boolean, transposeB: boolean) => [
      ...t,
      ops.bool('transpose_a', transposeA),
      ops.bool('transpose_b', transposeB),
    ],
  };
}
