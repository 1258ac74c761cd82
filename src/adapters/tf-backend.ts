import type * as tfNode from '@tensorflow/tfjs-node';

/**
 * The one place that loads TensorFlow.js. Training needs the native TensorFlow backend: the pure-JS
 * backend trains this CNN at a few images per second, so a broken native install must fail loudly here
 * rather than quietly fall back to it.
 */
export type Tf = typeof tfNode;
export type TrainingDevice = 'cpu' | 'gpu';

export const TF_PACKAGES: Readonly<Record<TrainingDevice, string>> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};

/** The package of the pure-JS backend, for the explicit opt-in below. */
const JS_PACKAGE = '@tensorflow/tfjs';

export interface LoadTfOptions {
  /** Module to load instead of the device's package (tests use it to simulate a broken install). */
  moduleId?: string;
  /**
   * Accept the pure-JS backend when the native one cannot load. Only for tiny unit tests on a machine
   * without native TensorFlow; never for training.
   */
  allowJsBackend?: boolean;
}

export class TensorFlowUnavailableError extends Error {
  constructor(
    readonly device: TrainingDevice,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const provision =
      device === 'gpu'
        ? '`npm run setup`, then `scripts/provision-tensorflow.sh --gpu`'
        : '`npm run setup` (it provisions libtensorflow and builds the addon)';
    super(
      `Native TensorFlow is unavailable for TRAINING_DEVICE=${device}: ${detail}. ` +
        `Run ${provision}; see docs/tensorflow.md (Troubleshooting).`,
      options,
    );
    this.name = 'TensorFlowUnavailableError';
  }
}

let loaded: { device: TrainingDevice; moduleId: string; tf: Tf } | undefined;

/** Loads the TensorFlow.js build for `device` and proves it runs on native TensorFlow. */
export function loadTf(device: TrainingDevice, options: LoadTfOptions = {}): Tf {
  const moduleId = options.moduleId ?? TF_PACKAGES[device];
  if (loaded && loaded.moduleId === moduleId) return loaded.tf;
  if (loaded && loaded.device !== device) {
    // tfjs-node and tfjs-node-gpu both register the 'tensorflow' backend in one global registry.
    throw new Error(
      `TensorFlow for TRAINING_DEVICE=${loaded.device} is already loaded in this process; ` +
        `run the ${device} training worker in a process of its own.`,
    );
  }

  // libtensorflow prints oneDNN/CPU-feature notices on every load; keep warnings and errors, unless the user
  // asked for a level themselves. The native runtime reads this variable, so it is set, not configured.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  let tf: Tf;
  try {
    tf = requireModule(moduleId);
  } catch (e) {
    if (options.allowJsBackend) return pureJs();
    throw new TensorFlowUnavailableError(device, `loading ${moduleId} failed: ${firstLine(e)}`, { cause: e });
  }
  const backend = tf.getBackend();
  if (backend !== 'tensorflow') {
    throw new TensorFlowUnavailableError(
      device,
      `${moduleId} loaded but its backend is '${backend}', not 'tensorflow'`,
    );
  }
  loaded = { device, moduleId, tf };
  return tf;
}

/** The pure-JS backend, selected explicitly: a previously loaded native one would stay the default. */
function pureJs(): Tf {
  const tf = requireModule(JS_PACKAGE);
  void tf.setBackend('cpu'); // synchronous for 'cpu'; the promise only reports what getBackend shows
  return tf;
}

function requireModule(id: string): Tf {
  // A runtime require: which package loads depends on the device, and a failure to load the native
  // addon has to be caught here, which a static import would not allow.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(id) as Tf;
}

function firstLine(e: unknown): string {
  // Duck-typed: errors from another realm (jest's module registry, vm contexts) fail `instanceof Error`.
  const message = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
  return message.split('\n')[0] ?? message;
}
