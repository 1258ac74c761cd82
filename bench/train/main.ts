/**
 * `npm run bench:train`: the same CNN on the same samples with the same batch size, epochs and threads,
 * trained by our tfjs-node code and by Python Keras, side by side. See bench/train/README.md.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import os from 'node:os';
import { loadConfig } from '../../src/config';
import { prepareSplits } from '../../src/domain/data';
import { kerasPython, runKeras } from './keras';
import type { BenchSettings, FrameworkResult } from './result';
import { writeSamples } from './samples';
import { runTfjs } from './tfjs';

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer.`);
    return n;
  };
}

interface CliOptions {
  json?: boolean;
  epochs?: number;
  trainSize?: number;
  batchSize?: number;
  threads: number;
  only?: 'tfjs' | 'keras';
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function row(name: string, r: FrameworkResult | undefined): string {
  if (!r) return `${name.padEnd(6)} (not run)`;
  return [
    name.padEnd(6),
    `${r.imagesPerSec.toFixed(0).padStart(6)} images/s`,
    `test accuracy ${(r.testAccuracy * 100).toFixed(2)}%`,
    `peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MB`,
    `CPU ${r.cpuMsPerImage.toFixed(2)} ms/image`,
    `train ${r.trainSeconds.toFixed(0)} s (first batch ${r.firstBatchSeconds.toFixed(1)} s)`,
    `final loss ${r.finalLoss.toFixed(4)}`,
  ].join(' | ');
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

async function main(opts: CliOptions): Promise<void> {
  const started = performance.now();
  // Before TensorFlow loads (here and in the Keras child, which inherits them): same pools for both.
  Object.assign(process.env, {
    TF_NUM_INTRAOP_THREADS: String(opts.threads),
    TF_NUM_INTEROP_THREADS: String(opts.threads),
    OMP_NUM_THREADS: String(opts.threads),
    TF_CPP_MIN_LOG_LEVEL: '2',
  });
  const cfg = loadConfig(process.env);
  const data = await prepareSplits(cfg);
  const trainSize = opts.trainSize ?? data.train.count;
  if (trainSize > data.train.count) {
    throw new Error(
      `--train-size ${trainSize} is larger than the train split (${data.train.count} images); ` +
        `pass at most ${data.train.count}.`,
    );
  }
  const train = {
    images: data.train.images.subarray(0, trainSize * 784),
    labels: data.train.labels.subarray(0, trainSize),
    count: trainSize,
  };
  const s: BenchSettings = {
    // The initial model's training, as bootstrap runs it (EPOCHS).
    epochs: opts.epochs ?? cfg.training.epochs,
    trainSize,
    batchSize: opts.batchSize ?? cfg.training.batchSize,
    threads: opts.threads,
    learningRate: cfg.training.learningRate,
    learningRateDecay: cfg.training.learningRateDecay,
    seed: cfg.training.seed,
  };
  console.log(
    `bench:train: ${s.epochs} epochs × ${s.trainSize} train images (train split of ${data.train.count}), ` +
      `batch ${s.batchSize}, Adam lr ${s.learningRate} ×${s.learningRateDecay} per epoch, ${s.threads} intra/inter-op threads; ` +
      `test on ${data.test.count} images`,
  );

  // Provisioned first: a missing venv should fail before minutes of tfjs training, not after.
  const python = opts.only === 'tfjs' ? undefined : await kerasPython(cfg.stack.cacheDir);
  let tfjs: Awaited<ReturnType<typeof runTfjs>> | undefined;
  let keras: Awaited<ReturnType<typeof runKeras>> | undefined;
  if (opts.only !== 'keras') {
    log('training with tfjs-node (src/domain/model)');
    tfjs = await runTfjs({ train, test: data.test }, s, log);
  }
  if (python) {
    log(`training with Keras (${python})`);
    const samples = await writeSamples({ train, test: data.test });
    try {
      keras = await runKeras(python, samples.dir, s);
    } finally {
      await samples.remove();
    }
  }

  const ratio = tfjs && keras ? tfjs.imagesPerSec / keras.imagesPerSec : undefined;
  console.log(row('tfjs', tfjs));
  console.log(row('keras', keras));
  if (ratio !== undefined) {
    console.log(
      `ratio tfjs/keras images/s: ${ratio.toFixed(3)}; CPU per image keras/tfjs: ` +
        `${(keras!.cpuMsPerImage / tfjs!.cpuMsPerImage).toFixed(3)}`,
    );
  }
  console.log(`bench wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (opts.json) {
    const out = {
      ...(tfjs && {
        tfjs: {
          backend: tfjs.backend,
          imagesPerSec: round(tfjs.imagesPerSec, 1),
          testAccuracy: round(tfjs.testAccuracy, 4),
          peakRssMb: round(tfjs.peakRssMb, 0),
        },
      }),
      ...(keras && {
        keras: {
          imagesPerSec: round(keras.imagesPerSec, 1),
          testAccuracy: round(keras.testAccuracy, 4),
          peakRssMb: round(keras.peakRssMb, 0),
        },
      }),
      ...(ratio !== undefined && { ratio: round(ratio, 3) }),
    };
    console.log(JSON.stringify(out));
  }
}

const program = new Command('bench:train')
  .description('Train the MNIST CNN with tfjs-node and with Python Keras on the same samples, side by side.')
  .option('--json', 'end stdout with one JSON line of the results')
  .option('--epochs <n>', 'epochs for both frameworks (default: EPOCHS)', positiveInt('--epochs'))
  .option(
    '--train-size <n>',
    'first N images of the train split (default: all of it)',
    positiveInt('--train-size'),
  )
  .option('--batch-size <n>', 'mini-batch size (default: BATCH_SIZE)', positiveInt('--batch-size'))
  .option(
    '--threads <n>',
    'TensorFlow intra- and inter-op threads for both',
    positiveInt('--threads'),
    os.availableParallelism(),
  )
  .addOption(
    new Option('--only <framework>', 'run one framework only (profiling)').choices(['tfjs', 'keras']),
  )
  .action(async (opts: CliOptions) => main(opts));

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`bench:train failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
