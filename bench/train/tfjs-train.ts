/**
 * tfjs side of `npm run bench:train`, one training run per process (as keras_train.py is for Keras): trains
 * our CNN with our training code (src/domain/model) on the samples bench/train/main.ts wrote, and prints one
 * JSON object (result.ts) as its last stdout line. Not meant to be run by hand, though it can be (--help).
 */
import { Command, Option } from 'commander';
import { loadTf } from '../../src/adapters/tf-backend';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate } from '../../src/domain/model/evaluate';
import { train } from '../../src/domain/model/train';
import { positiveInt, unitRate } from './options';
import type { RunResult, TrainingDevice } from './result';
import { readSamples } from './samples';

interface ChildOptions {
  dataDir: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  learningRateDecay: number;
  seed: number;
  threads: number;
  device: TrainingDevice;
  evaluate?: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function run(o: ChildOptions): Promise<RunResult> {
  // TensorFlow reads these once, when it starts; the Keras side sets the same through tf.config.
  process.env.TF_NUM_INTRAOP_THREADS = String(o.threads);
  process.env.TF_NUM_INTEROP_THREADS = String(o.threads);
  const tf = loadTf(o.device);
  const trainSet = await readSamples(o.dataDir, 'train');
  const model = createCnn(tf, {
    optimizer: 'adam',
    learningRate: o.learningRate,
    learningRateDecay: o.learningRateDecay,
    batchSize: o.batchSize,
    epochs: o.epochs,
    seed: o.seed,
  });
  // The timed window: end of the first batch (warm-up) to end of the last, wall and CPU alike.
  let first: { at: number; cpu: number } | undefined;
  let last = { at: 0, cpu: 0 };
  const t0 = performance.now();
  const result = await train(tf, model, trainSet, {
    hyper: {
      batchSize: o.batchSize,
      epochs: o.epochs,
      seed: o.seed,
      learningRate: o.learningRate,
      learningRateDecay: o.learningRateDecay,
    },
    onBatchEnd: () => {
      last = { at: performance.now(), cpu: cpuMs() };
      first ??= last;
    },
    onEpochEnd: (epoch, _model, m) =>
      log(`tfjs  epoch ${epoch + 1}/${o.epochs}: loss ${m.loss.toFixed(4)}, ${m.seconds.toFixed(1)} s`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const trained = trainSet.count * o.epochs;
  const timedImages = trained - Math.min(o.batchSize, trainSet.count);
  const timedSeconds = (last.at - (first?.at ?? last.at)) / 1000;
  if (timedSeconds <= 0 || timedImages <= 0) {
    throw new Error(
      `${trained} images in ${o.epochs} epoch(s) is a single batch: nothing is left to time after the ` +
        'warm-up batch. Train on more images (--train-size) or more epochs.',
    );
  }
  const accuracy = async (name: 'validation' | 'test') =>
    (await evaluate(tf, model, await readSamples(o.dataDir, name))).accuracy;
  const validationAccuracy = o.evaluate ? await accuracy('validation') : undefined;
  const testAccuracy = o.evaluate ? await accuracy('test') : undefined;
  model.dispose();
  return {
    framework: 'tfjs',
    runtime: tf.getBackend(),
    imagesPerSec: timedImages / timedSeconds,
    cpuMsPerImage: (last.cpu - (first?.cpu ?? last.cpu)) / timedImages,
    // maxRSS is in KiB.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    trainSeconds,
    firstBatchSeconds: ((first?.at ?? t0) - t0) / 1000,
    finalLoss: result.history.at(-1)?.loss ?? NaN,
    trainedImages: trained,
    ...(validationAccuracy !== undefined && { validationAccuracy }),
    ...(testAccuracy !== undefined && { testAccuracy }),
  };
}

new Command('tfjs-train')
  .description('One tfjs-node training run of the bench (bench/train/main.ts runs it).')
  .requiredOption('--data-dir <dir>', 'sample files written by bench/train/main.ts')
  .requiredOption('--epochs <n>', 'epochs', positiveInt('--epochs'))
  .requiredOption('--batch-size <n>', 'mini-batch size', positiveInt('--batch-size'))
  .requiredOption('--threads <n>', 'TensorFlow intra- and inter-op threads', positiveInt('--threads'))
  .option('--learning-rate <x>', 'Adam learning rate', unitRate('--learning-rate'), 0.001)
  .option('--learning-rate-decay <x>', 'per-epoch factor', unitRate('--learning-rate-decay'), 1)
  .option('--seed <n>', 'seed', (v) => Number(v), 42)
  .addOption(new Option('--device <device>', 'TensorFlow build').choices(['cpu', 'gpu']).default('cpu'))
  .option('--evaluate', 'evaluate on the validation and test sets after training')
  .action(async (o: ChildOptions) => {
    process.stdout.write(`${JSON.stringify(await run(o))}\n`);
  })
  .parseAsync()
  .catch((e: unknown) => {
    process.stderr.write(`tfjs-train failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
