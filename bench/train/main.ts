/**
 * `npm run bench:train`: the same CNN on the same samples with the same batch size, schedule and threads,
 * trained by our tfjs-node code and by Python Keras, interleaved (tfjs, Keras, tfjs, Keras …), each run in a
 * fresh process. Throughput from the repeats (median and range), accuracy from one run of EPOCHS per side.
 * See bench/train/README.md.
 */
import { Command, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { prepareSplits } from '../../src/domain/data';
import { runChild } from './child';
import { cudaLibraryPath, KERAS_SCRIPT, kerasPython } from './keras';
import { positiveInt } from './options';
import {
  runArgs,
  type Framework,
  type Placement,
  type RunResult,
  type RunSettings,
  type TrainingDevice,
} from './result';
import { writeSamples } from './samples';
import { spreadOf, type Spread } from './stats';

interface CliOptions {
  json?: boolean;
  quick?: boolean;
  repeats?: number;
  repeatEpochs?: number;
  epochs?: number;
  trainSize?: number;
  batchSize?: number;
  threads: number;
  only?: Framework;
  device?: TrainingDevice;
  placement?: boolean;
}

/** --quick: a smoke run of a minute or two (the jest test runs it), not a measurement. */
const QUICK = { repeats: 2, repeatEpochs: 1, epochs: 1, trainSize: 2000 };
/** Default per-repeat budget: long enough for a steady rate, short enough for 3 pairs in ~5 min. */
const DEFAULT_REPEATS = 3;
const DEFAULT_REPEAT_EPOCHS = 2;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

interface SideSummary {
  readonly runs: RunResult[];
  readonly rate: Spread;
  readonly cpu: Spread;
  readonly accuracy: RunResult;
  readonly peakRssMb: number;
  readonly placement?: Placement;
}

function summarise(runs: RunResult[], accuracy: RunResult, placement?: Placement): SideSummary {
  return {
    runs,
    rate: spreadOf(runs.map((r) => r.imagesPerSec)),
    cpu: spreadOf(runs.map((r) => r.cpuMsPerImage)),
    accuracy,
    peakRssMb: Math.max(accuracy.peakRssMb, ...runs.map((r) => r.peakRssMb)),
    ...(placement && { placement }),
  };
}

function row(name: string, s: SideSummary | undefined): string {
  if (!s) return `${name.padEnd(6)} (not run)`;
  return [
    name.padEnd(6),
    `${s.rate.median.toFixed(0).padStart(6)} images/s (${s.rate.min.toFixed(0)}–${s.rate.max.toFixed(0)})`,
    `CPU ${s.cpu.median.toFixed(2)} ms/image (${s.cpu.min.toFixed(2)}–${s.cpu.max.toFixed(2)})`,
    `validation ${pct(s.accuracy.validationAccuracy)}`,
    `test ${pct(s.accuracy.testAccuracy)}`,
    `peak RSS ${s.peakRssMb.toFixed(0)} MB`,
  ].join(' | ');
}

function sideJson(s: SideSummary, device: TrainingDevice) {
  const a = s.accuracy;
  return {
    ...(a.framework === 'tfjs' ? { backend: a.runtime } : { tensorflow: a.runtime }),
    device,
    imagesPerSec: round(s.rate.median, 1),
    testAccuracy: a.testAccuracy === undefined ? null : round(a.testAccuracy, 4),
    validationAccuracy: a.validationAccuracy === undefined ? null : round(a.validationAccuracy, 4),
    peakRssMb: round(s.peakRssMb, 0),
    cpuMsPerImage: round(s.cpu.median, 3),
    ...(s.placement && { placement: s.placement }),
  };
}

async function main(opts: CliOptions): Promise<void> {
  const started = performance.now();
  // Inherited by every run (each sets its own thread pools from --threads too).
  Object.assign(process.env, {
    TF_NUM_INTRAOP_THREADS: String(opts.threads),
    TF_NUM_INTEROP_THREADS: String(opts.threads),
    OMP_NUM_THREADS: String(opts.threads),
    TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2',
  });
  const cfg = loadConfig(process.env);
  const device = opts.device ?? cfg.training.device;
  const quick = opts.quick ?? false;
  const repeats = opts.repeats ?? (quick ? QUICK.repeats : DEFAULT_REPEATS);
  const repeatEpochs = opts.repeatEpochs ?? (quick ? QUICK.repeatEpochs : DEFAULT_REPEAT_EPOCHS);
  const epochs = opts.epochs ?? (quick ? QUICK.epochs : cfg.training.epochs);
  // On a GPU the check is the point; on the CPU it is on request (and tested).
  const placement = device === 'gpu' || opts.placement ? (device === 'gpu' ? 'GPU' : 'CPU') : undefined;

  const batchSize = opts.batchSize ?? cfg.training.batchSize;
  const requested = opts.trainSize ?? (quick ? QUICK.trainSize : undefined);
  const shortest = Math.min(repeatEpochs, epochs);
  if (requested !== undefined && requested * shortest - Math.min(batchSize, requested) <= 0) {
    // Throughput is timed after the first batch; a run of one batch has nothing left to time.
    throw new Error(
      `${requested} train images × ${shortest} epoch(s) is a single batch (batch size ${batchSize}): ` +
        'nothing is left to time after the warm-up batch. Raise --train-size or the epochs.',
    );
  }
  const data = await prepareSplits(cfg);
  const trainSize = requested ?? data.train.count;
  if (trainSize > data.train.count) {
    throw new Error(
      `--train-size ${trainSize} is larger than the train split (${data.train.count} images); ` +
        `pass at most ${data.train.count}.`,
    );
  }
  const base = {
    batchSize,
    learningRate: cfg.training.learningRate,
    learningRateDecay: cfg.training.learningRateDecay,
    seed: cfg.training.seed,
    threads: opts.threads,
    device,
  };
  const sides: Framework[] = opts.only ? [opts.only] : ['tfjs', 'keras'];
  // The accuracy run is the last repeat when the repeats already train EPOCHS, else one more run per side.
  const separateAccuracyRun = epochs !== repeatEpochs;
  console.log(
    `bench:train: ${sides.join(' and ')} on ${device}, ${repeats} interleaved repeats of ${repeatEpochs} ` +
      `epoch(s) × ${trainSize} train images (train split of ${data.train.count}); accuracy after ${epochs} ` +
      `epoch(s) (${separateAccuracyRun ? 'one more run per side' : 'the last repeat'}) on ` +
      `${data.validation.count} validation and ${data.test.count} test images; batch ${base.batchSize}, ` +
      `Adam lr ${base.learningRate} ×${base.learningRateDecay} per epoch, ${opts.threads} intra/inter-op threads`,
  );

  // Provisioned first: a missing venv should fail before minutes of tfjs training, not after.
  const python = sides.includes('keras') ? await kerasPython(cfg.stack.cacheDir, device) : undefined;
  const kerasEnv = python && device === 'gpu' ? cudaLibraryPath(python) : undefined;
  const trainSubset = (count: number) => ({
    images: data.train.images.subarray(0, count * 784),
    labels: data.train.labels.subarray(0, count),
    count,
  });
  const samples = await writeSamples({
    train: trainSubset(trainSize),
    validation: data.validation,
    test: data.test,
  });

  const runOnce = async (
    side: Framework,
    label: string,
    s: RunSettings,
    dataDir = samples.dir,
    logPlacement?: 'CPU' | 'GPU',
  ): Promise<RunResult> => {
    log(`${label}: ${side}, ${s.epochs} epoch(s)${s.evaluate ? ', then validation and test' : ''}`);
    const args = runArgs(dataDir, s);
    const r = await runChild({
      label: `${side} ${label}`,
      cwd: REPO_ROOT,
      placement: logPlacement,
      ...(side === 'tfjs'
        ? {
            command: process.execPath,
            args: ['--import', 'tsx', path.join('bench', 'train', 'tfjs-train.ts'), ...args],
          }
        : {
            command: python!,
            args: [KERAS_SCRIPT, ...args],
            env: kerasEnv ? { LD_LIBRARY_PATH: kerasEnv } : {},
          }),
    });
    log(
      `${label}: ${side} ${r.imagesPerSec.toFixed(0)} images/s, CPU ${r.cpuMsPerImage.toFixed(2)} ms/image, ` +
        `final loss ${r.finalLoss.toFixed(4)}, peak RSS ${r.peakRssMb.toFixed(0)} MB` +
        (r.testAccuracy === undefined ? '' : `, test ${pct(r.testAccuracy)}`) +
        (r.placement ? `, op types per device ${JSON.stringify(r.placement)}` : ''),
    );
    return r;
  };

  const runs: Record<Framework, RunResult[]> = { tfjs: [], keras: [] };
  const accuracy: Partial<Record<Framework, RunResult>> = {};
  const placements: Partial<Record<Framework, RunResult>> = {};
  try {
    if (placement) {
      // A short run per side with TensorFlow's placement log on (placement.ts): it slows execution, so the
      // timed runs below run without it, in the same environment otherwise.
      const probe = await writeSamples({
        train: trainSubset(Math.min(trainSize, 4 * base.batchSize)),
        validation: data.validation,
        test: data.test,
      });
      try {
        for (const side of sides) {
          const r = await runOnce(
            side,
            'placement probe',
            { ...base, epochs: 1, evaluate: false },
            probe.dir,
            placement,
          );
          const onDevice =
            side === 'keras' && device === 'gpu' ? r.variableDevices?.every((d) => d.includes('GPU')) : true;
          const problems = [
            ...(r.misplaced ?? []),
            ...(onDevice ? [] : [`weights on ${r.variableDevices?.join(', ')}`]),
          ];
          if (problems.length > 0) {
            throw new Error(
              `${side} placement probe: expected the heavy kernels on the ${placement}, but found ${problems.join(', ')}. ` +
                (device === 'gpu'
                  ? 'TF_CPP_MIN_LOG_LEVEL=0 shows why (usually a CUDA library that failed to load).'
                  : 'The placement log format may have changed (bench/train/placement.ts).'),
            );
          }
          placements[side] = r;
        }
      } finally {
        await probe.remove();
      }
    }
    for (let i = 1; i <= repeats; i++) {
      for (const side of sides) {
        const evaluate = !separateAccuracyRun && i === repeats;
        const r = await runOnce(side, `repeat ${i}/${repeats}`, { ...base, epochs: repeatEpochs, evaluate });
        runs[side].push(r);
        if (evaluate) accuracy[side] = r;
      }
    }
    if (separateAccuracyRun) {
      for (const side of sides) {
        accuracy[side] = await runOnce(side, 'accuracy run', { ...base, epochs, evaluate: true });
      }
    }
  } finally {
    await samples.remove();
  }

  const summary: Partial<Record<Framework, SideSummary>> = {};
  for (const side of sides)
    summary[side] = summarise(runs[side], accuracy[side]!, placements[side]?.placement);
  const { tfjs, keras } = summary;
  console.log(row('tfjs', tfjs));
  console.log(row('keras', keras));
  // Per interleaved pair: the ratio each pair saw, so one disturbed pair shows as a wide range.
  const pairRatios =
    tfjs && keras ? tfjs.runs.map((t, i) => t.imagesPerSec / keras.runs[i]!.imagesPerSec) : [];
  const ratio = tfjs && keras ? tfjs.rate.median / keras.rate.median : undefined;
  const cpuRatio = tfjs && keras ? keras.cpu.median / tfjs.cpu.median : undefined;
  if (ratio !== undefined && cpuRatio !== undefined) {
    const pr = spreadOf(pairRatios);
    console.log(
      `ratio of medians tfjs/keras images/s: ${ratio.toFixed(3)} (pairs ${pr.min.toFixed(3)}–${pr.max.toFixed(3)}); ` +
        `CPU per image keras/tfjs: ${cpuRatio.toFixed(3)}`,
    );
  }
  console.log(`bench wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (opts.json) {
    const range = (s: Spread) => ({ min: round(s.min, 1), max: round(s.max, 1) });
    const out = {
      ...(tfjs && { tfjs: sideJson(tfjs, device) }),
      ...(keras && { keras: sideJson(keras, device) }),
      ...(ratio !== undefined && { ratio: round(ratio, 3) }),
      ...(cpuRatio !== undefined && { cpuRatio: round(cpuRatio, 3) }),
      repeats,
      spread: {
        ...(tfjs && { tfjs: range(tfjs.rate) }),
        ...(keras && { keras: range(keras.rate) }),
        ...(pairRatios.length > 0 && {
          ratio: { min: round(spreadOf(pairRatios).min, 3), max: round(spreadOf(pairRatios).max, 3) },
        }),
      },
      repeatEpochs,
      accuracyEpochs: epochs,
      trainSize,
    };
    console.log(JSON.stringify(out));
  }
}

const program = new Command('bench:train')
  .description(
    'Train the MNIST CNN with tfjs-node and with Python Keras on the same samples, interleaved repeats.',
  )
  .option('--json', 'end stdout with one JSON line of the results')
  .option(
    '--quick',
    `smoke run: ${QUICK.repeats} repeats of ${QUICK.repeatEpochs} epoch × ${QUICK.trainSize} images, accuracy from the last`,
  )
  .option(
    '--repeats <n>',
    `interleaved runs per framework (default ${DEFAULT_REPEATS})`,
    positiveInt('--repeats'),
  )
  .option(
    '--repeat-epochs <n>',
    `epochs per timed repeat (default ${DEFAULT_REPEAT_EPOCHS})`,
    positiveInt('--repeat-epochs'),
  )
  .option('--epochs <n>', 'epochs of the accuracy run (default: EPOCHS)', positiveInt('--epochs'))
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
  .addOption(new Option('--device <device>', 'cpu or gpu (default: TRAINING_DEVICE)').choices(['cpu', 'gpu']))
  .option(
    '--placement',
    'log where TensorFlow placed the kernels and report it (always on with --device gpu)',
  )
  .action(async (opts: CliOptions) => main(opts));

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`bench:train failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
