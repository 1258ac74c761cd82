import { z } from 'zod';

/** Where a run's TensorFlow put its kernels: distinct op types per device (`CPU:0`, `GPU:0`), from its log. */
export const placementSchema = z.record(z.string(), z.number().int().nonnegative());
export type Placement = z.infer<typeof placementSchema>;

/**
 * What one training run prints as its last stdout line, tfjs (bench/train/tfjs-train.ts) and Keras
 * (bench/train/keras_train.py) alike. Throughput and CPU cover the same window on both sides: from the end
 * of the first batch (graph tracing, warm-up) to the end of the last.
 */
export const runResultSchema = z.object({
  framework: z.enum(['tfjs', 'keras']),
  /** The tfjs backend or the Keras side's TensorFlow version. */
  runtime: z.string(),
  imagesPerSec: z.number().positive(),
  /** Process CPU time (user + system, the process's own rusage) per image, same window as imagesPerSec. */
  cpuMsPerImage: z.number().positive(),
  /** Peak resident memory of the process, whole lifetime. */
  peakRssMb: z.number().positive(),
  /** fit/train wall time, first batch included. */
  trainSeconds: z.number().positive(),
  firstBatchSeconds: z.number().nonnegative(),
  finalLoss: z.number(),
  trainedImages: z.number().int().positive(),
  /** Only on runs asked to evaluate (the accuracy run): on the validation and test splits. */
  validationAccuracy: z.number().min(0).max(1).optional(),
  testAccuracy: z.number().min(0).max(1).optional(),
  /** Devices TensorFlow reports (Keras: tf.config.list_physical_devices; tfjs: not available, omitted). */
  devices: z.array(z.string()).optional(),
  /** Keras on --device gpu: the devices of the model's weights (its optimizer kernels run there). */
  variableDevices: z.array(z.string()).optional(),
});
export type RunResult = z.infer<typeof runResultSchema> & {
  /** With placement logging (placement.ts): kernels per device, and heavy ops not on the expected device. */
  placement?: Placement;
  misplaced?: string[];
};

export type Framework = RunResult['framework'];
export type TrainingDevice = 'cpu' | 'gpu';

/** What both sides are given; the same command-line flags on both child scripts. */
export interface RunSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly learningRateDecay: number;
  readonly seed: number;
  /** TensorFlow intra- and inter-op threads (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS). */
  readonly threads: number;
  readonly device: TrainingDevice;
  /** Evaluate on the validation and test splits after training. */
  readonly evaluate: boolean;
}

/** The shared flags, in the spelling both child scripts parse. */
export function runArgs(dataDir: string, s: RunSettings): string[] {
  return [
    ...['--data-dir', dataDir, '--epochs', String(s.epochs), '--batch-size', String(s.batchSize)],
    ...['--learning-rate', String(s.learningRate), '--learning-rate-decay', String(s.learningRateDecay)],
    ...['--seed', String(s.seed), '--threads', String(s.threads), '--device', s.device],
    ...(s.evaluate ? ['--evaluate'] : []),
  ];
}
