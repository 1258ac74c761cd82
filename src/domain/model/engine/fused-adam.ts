import { nativeOps, type NativeOps } from './native-ops';
import type { LayersModel, Tensor, Tf } from '../tf';

type Variable = ReturnType<Tf['variable']>;
type NamedTensorMap = Record<string, Tensor>;

/** Applies gradients in place of the model's optimizer for the length of a training run. */
export interface OptimizerUpdate {
  /** One step: `grads` are keyed by variable name, as tf.variableGrads returns them. */
  apply(grads: NamedTensorMap): void;
  /** The learning rate of the following steps. */
  setLearningRate(rate: number): void;
  /** Writes the step count and moments back into the model's optimizer, where checkpoints save them. */
  sync(): Promise<void>;
  /** Frees the native state; sync first to keep it. */
  dispose(): void;
}

interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One native resource variable: TensorFlow's fused optimizer kernels update only these, in place. */
interface ResourceVariable {
  readonly handle: Tensor;
  read(): Tensor;
  destroy(): void;
}

let resources = 0;

function resourceVariable(ops: NativeOps, initial: Tensor): ResourceVariable {
  // Resources live in the process-wide container under their name: unique per variable and run.
  const name = `temporal-mlops/fused-adam/${process.pid}/${resources++}`;
  const handle = ops.run(
    'VarHandleOp',
    [
      ops.float32('dtype'),
      ops.shape('shape', initial.shape),
      ops.string('container', ''),
      ops.string('shared_name', name),
    ],
    [],
  );
  ops.exec('AssignVariableOp', [ops.float32('dtype')], [handle, initial]);
  return {
    handle,
    read: () => ops.run('ReadVariableOp', [ops.float32('dtype')], [handle]),
    destroy: () => {
      ops.exec('DestroyResourceOp', [ops.bool('ignore_lookup_error', true)], [handle]);
      handle.dispose();
    },
  };
}

/**
 * tfjs's Adam updates each variable with ~14 element-wise ops, one JS dispatch and one full-size
 * temporary each (the 1.2M-weight dense kernel dominates); TensorFlow's ResourceApplyAdam kernel, as
 * Keras uses, does it in one multi-threaded pass. It needs resource variables, so the weights and both
 * moments are mirrored into native ones for the run; after each step the model's variables are pointed
 * at the new values (ReadVariableOp shares the buffer; as the model holds it, the next update copies
 * the weights once before writing: ~5 MB, well under a millisecond).
 *
 * Same algorithm as tfjs's Adam: TF applies lr·√(1-β₂ᵗ)/(1-β₁ᵗ)·m/(√v + ε̂), tfjs
 * lr·m̂/(√v̂ + ε) with bias-corrected m̂, v̂; passing ε̂ = ε·√(1-β₂ᵗ) makes them equal. The moments and
 * step count go back into the tfjs optimizer on sync(), so checkpoints hold them as before and a run
 * resumed from one, with either implementation, continues where this one stopped.
 *
 * Undefined when it does not apply (another optimizer, not the native backend, non-float weights):
 * the caller then uses the optimizer itself.
 */
export async function fusedAdam(tf: Tf, model: LayersModel): Promise<OptimizerUpdate | undefined> {
  const optimizer = model.optimizer;
  const ops = nativeOps(tf);
  if (!ops || !optimizer || optimizer.getClassName() !== 'Adam') return undefined;
  const variables = model.trainableWeights.map((w) => w.read() as Variable);
  if (variables.some((v) => v.dtype !== 'float32')) return undefined;
  const { learningRate, beta1, beta2, epsilon } = optimizer.getConfig() as unknown as AdamConfig;

  // [iterations, m…, v…], or only [iterations] before the optimizer's first step.
  const [iterations, ...moments] = await optimizer.getWeights();
  iterations?.tensor.dispose();
  if (moments.length !== 0 && moments.length !== 2 * variables.length) {
    throw new Error(
      `The optimizer holds ${moments.length} moment tensors for ${variables.length} trainable weights; ` +
        'the checkpoint does not belong to this model. Resume from a checkpoint of the same architecture.',
    );
  }
  let step = optimizer.iterations;
  let synced = step;
  const slots = variables.map((v, i) => {
    const initial = (k: number) => moments[k * variables.length + i]?.tensor;
    const zeros = tf.zerosLike(v);
    try {
      return {
        variable: v,
        value: resourceVariable(ops, v),
        m: resourceVariable(ops, initial(0) ?? zeros),
        v: resourceVariable(ops, initial(1) ?? zeros),
      };
    } finally {
      zeros.dispose();
    }
  });
  const constants = [beta1, beta2].map((x) => tf.scalar(x));
  const [b1, b2] = constants as [Tensor, Tensor];
  let lr = tf.scalar(learningRate);
  const attrs = [ops.float32('T'), ops.bool('use_locking', false), ops.bool('use_nesterov', false)];
  const dtype = [ops.float32('dtype')];

  return {
    apply(grads) {
      const t = ++step;
      tf.tidy(() => {
        const b1Power = tf.scalar(beta1 ** t);
        const b2Power = tf.scalar(beta2 ** t);
        const epsilonHat = tf.scalar(epsilon * Math.sqrt(1 - beta2 ** t));
        for (const slot of slots) {
          const grad = grads[slot.variable.name];
          if (!grad) continue; // as tfjs's Adam: a weight without a gradient is left alone
          ops.exec('ResourceApplyAdam', attrs, [
            slot.value.handle,
            slot.m.handle,
            slot.v.handle,
            b1Power,
            b2Power,
            lr,
            b1,
            b2,
            epsilonHat,
            grad,
          ]);
          slot.variable.assign(ops.run('ReadVariableOp', dtype, [slot.value.handle]));
        }
      });
    },

    setLearningRate(rate) {
      lr.dispose();
      lr = tf.scalar(rate);
    },

    async sync() {
      if (step === synced) return;
      const state = [
        { name: 'iter', tensor: tf.scalar(step, 'int32') },
        ...slots.map((s) => ({ name: `${s.variable.name}/m`, tensor: s.m.read() })),
        ...slots.map((s) => ({ name: `${s.variable.name}/v`, tensor: s.v.read() })),
      ];
      const previous = await optimizer.getWeights();
      try {
        // setWeights makes new optimizer variables from these tensors and drops the old ones undisposed.
        await optimizer.setWeights(state);
      } catch (e) {
        tf.dispose([...state.map((w) => w.tensor), previous[0]!.tensor]);
        throw e;
      }
      tf.dispose([...state, ...previous].map((w) => w.tensor));
      synced = step;
    },

    dispose() {
      for (const s of slots) for (const r of [s.value, s.m, s.v]) r.destroy();
      tf.dispose([...constants, lr]);
    },
  };
}
