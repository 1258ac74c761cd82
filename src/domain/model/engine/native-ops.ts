import type { Tensor, Tf } from '../tf';

/** An op attribute as tfjs-node's binding takes it: `type` is one of the binding's TF_ATTR_* codes. */
interface OpAttr {
  readonly name: string;
  readonly type: number;
  readonly value: unknown;
}

/** The parts of tfjs-node 4.22's NodeJSKernelBackend used here (the version is pinned). */
interface NodeJSKernelBackend {
  binding: Record<
    'TF_ATTR_TYPE' | 'TF_ATTR_SHAPE' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_ATTR_INT' | 'TF_FLOAT',
    number
  >;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: Tensor[], outputs: number): Tensor[];
}

/**
 * TensorFlow ops by name, run eagerly on tfjs-node's native backend: for work that tfjs composes from
 * many small ops (one dispatch from JS each) but TensorFlow has a single kernel for. Outputs are
 * ordinary tfjs tensors, tracked by tidy; they are not recorded for gradients.
 */
export interface NativeOps {
  /** Runs an op with one output. `attrs` may use the helpers below. */
  run(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor;
  /** Runs an op with `outputs` outputs. */
  runMany(name: string, attrs: OpAttr[], inputs: Tensor[], outputs: number): Tensor[];
  /** Runs an op with no outputs (variable updates). */
  exec(name: string, attrs: OpAttr[], inputs: Tensor[]): void;
  /** A float32 type attribute (`T`, `dtype`). */
  float32(name: string): OpAttr;
  shape(name: string, shape: readonly number[]): OpAttr;
  string(name: string, value: string): OpAttr;
  bool(name: string, value: boolean): OpAttr;
  /** An int or list(int) attribute. */
  ints(name: string, value: number | readonly number[]): OpAttr;
}

const cache = new WeakMap<object, NativeOps>();

/**
 * The native ops of the current backend, or undefined when it is not tfjs-node's `tensorflow` backend
 * (the pure-JS backend of a tiny unit test): callers then keep tfjs's own composition.
 */
export function nativeOps(tf: Tf): NativeOps | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const backend = tf.backend() as unknown as NodeJSKernelBackend;
  if (typeof backend.executeSingleOutput !== 'function' || !backend.binding) return undefined;
  const cached = cache.get(backend);
  if (cached) return cached;
  const b = backend.binding;
  const ops: NativeOps = {
    run: (name, attrs, inputs) => backend.executeSingleOutput(name, attrs, inputs),
    runMany: (name, attrs, inputs, outputs) => backend.executeMultipleOutputs(name, attrs, inputs, outputs),
    exec: (name, attrs, inputs) => void backend.executeMultipleOutputs(name, attrs, inputs, 0),
    float32: (name) => ({ name, type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }),
    shape: (name, shape) => ({ name, type: b.TF_ATTR_SHAPE, value: shape }),
    string: (name, value) => ({ name, type: b.TF_ATTR_STRING, value }),
    bool: (name, value) => ({ name, type: b.TF_ATTR_BOOL, value }),
    ints: (name, value) => ({ name, type: b.TF_ATTR_INT, value }),
  };
  cache.set(backend, ops);
  return ops;
}
