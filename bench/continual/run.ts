/**
 * `npm run bench:continual`: does continual training keep the model in shape?
 *
 * On the real pipeline (local stack, Temporal workers in this process): bootstrap a champion with the
 * default settings, then stream the stream split through Kafka in cycles of `--batch`, each cycle run by
 * the real retrainWorkflow (Kafka → ledger → fine-tune → gate → promotion → MLflow). Then, through the
 * same training code on the same splits and seeds, the baselines: naive (new batch only, always promote),
 * frozen (the bootstrap model) and joint (from scratch on everything streamed: the upper bound).
 *
 * Each seed runs on its own topic, consumer group, database, registered model and folders, so the bench
 * disturbs no other state. Writes bench/results/continual.{json,md,png} (or --out), logs them to an MLflow
 * run named `bench-continual`, and prints one JSON line last.
 *
 *   npm run bench:continual -- [--batch 2000] [--cycles N] [--seeds 1] [--quick] [--out DIR]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, REPO_ROOT, type Config } from '../../src/config';
import { MlflowClient } from '../../src/adapters/mlflow';
import { loadTf } from '../../src/adapters/tf-backend';
import { quietSchedules } from '../../src/cli/demo';
import { MlopsClient } from '../../src/client';
import { prepareSplits } from '../../src/domain/data';
import { replayCountFor } from '../../src/domain/model/fine-tune';
import { executeRunPlan } from '../../src/domain/tracking/run-plan';
import { up } from '../../src/stack/orchestrator';
import { stackPaths } from '../../src/stack/paths';
import { allServices } from '../../src/stack/services';
import { startWorkers } from '../../src/workers/start';
import { runJoint, runNaive, type Scores } from './baselines';

const log = (m: string) => console.error(`[bench:continual] ${m}`);

interface CycleRow {
  readonly cycle: number;
  readonly streamed: number;
  readonly ours: Scores & {
    readonly decision: string;
    readonly reason: string;
    readonly trainImages: number;
    /** Challenger's scores, whatever the decision. */
    readonly challenger?: Scores;
  };
  readonly naive: Scores & { readonly trainImages: number };
}

interface SeedResult {
  readonly seed: number;
  readonly frozen: Scores;
  readonly joint: Scores & { readonly trainImages: number };
  readonly cycles: CycleRow[];
  readonly seconds: Readonly<Record<string, number>>;
}

const USAGE = 'usage: npm run bench:continual -- [--batch N] [--cycles N] [--seeds N] [--quick] [--out DIR]';

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`--${name} must be a positive integer, got "${v}". ${USAGE}`);
  }
  return n;
}

/** Settings of one seed's private pipeline: nothing it writes is shared with other runs. */
export function seedEnv(
  tag: string,
  seed: number,
  runDir: string,
  batch: number,
  quick: boolean,
): NodeJS.ProcessEnv {
  const id = `${tag}-s${seed}`;
  return {
    ...process.env,
    SEED: String(seed),
    POSTGRES_DB: `bench_continual_${id.replace(/-/g, '_')}`,
    KAFKA_TOPIC: `bench-continual-${id}`,
    KAFKA_DLQ_TOPIC: `bench-continual-${id}.dlq`,
    KAFKA_CONSUMER_GROUP: `bench-continual-${id}`,
    MLFLOW_EXPERIMENT: 'bench-continual',
    MLFLOW_REGISTERED_MODEL: `bench-continual-${id}`,
    DATA_DIR: path.join(runDir, 'data'),
    MODELS_DIR: path.join(runDir, 'models'),
    RETRAIN_MIN_RECORDS: String(batch),
    RETRAIN_MAX_RECORDS: String(batch),
    DEMO_STREAM_COUNT: String(batch),
    RETRAIN_MAX_WAIT_MS: '10000',
    RETRAIN_LAG_THRESHOLD: '100000000',
    ...(quick
      ? {
          // 60 000 - 55 000 - 1 000 = 4 000 training images, one epoch each: the whole loop in a minute.
          STREAM_SIZE: '55000',
          VALIDATION_SIZE: '1000',
          EPOCHS: '1',
          FINE_TUNE_EPOCHS: '1',
          BATCH_SIZE: '64',
        }
      : {}),
  };
}

async function runSeed(
  tag: string,
  seed: number,
  batch: number,
  cyclesWanted: number | undefined,
  quick: boolean,
): Promise<SeedResult> {
  const runDir = path.join(REPO_ROOT, '.bench-continual', tag, `seed-${seed}`);
  const cfg = loadConfig(seedEnv(tag, seed, runDir, batch, quick));
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      seconds[name] = Math.round((Date.now() - t0) / 100) / 10;
    }
  };

  // Creates this seed's database (stack up converges it); services already running stay as they are.
  const ctx = { config: cfg, paths: stackPaths(cfg), say: () => undefined };
  await up(ctx, allServices(ctx));
  const splits = await prepareSplits(cfg);
  const cycles = cyclesWanted ?? Math.floor(splits.stream.count / batch);
  if (cycles * batch > splits.stream.count) {
    throw new Error(
      `${cycles} cycles of ${batch} need ${cycles * batch} stream samples; the stream split holds ` +
        `${splits.stream.count}. Lower --cycles or --batch.`,
    );
  }

  const queues = { ioTaskQueue: `bench-continual-io-${tag}`, trainingTaskQueue: `bench-continual-tr-${tag}` };
  const mlops = await MlopsClient.connect(cfg, { schedules: { taskQueue: queues.ioTaskQueue } });
  const paused = await quietSchedules(mlops);
  const workers = await startWorkers(cfg, queues);
  const opts = { taskQueue: queues.ioTaskQueue };
  const rows: Omit<CycleRow, 'naive'>[] = [];
  let frozen: Scores;
  let bootstrapDir: string;
  try {
    log(`seed ${seed}: bootstrap (${cfg.training.epochs} epochs on ${splits.train.count} images)`);
    const boot = await timed('bootstrap', () => mlops.bootstrap({ epochs: cfg.training.epochs }, opts));
    if (boot.result.status !== 'trained')
      throw new Error('bootstrap reused a champion in a fresh models folder');
    frozen = {
      validationAccuracy: boot.result.scores.validation.accuracy,
      testAccuracy: boot.result.scores.test.accuracy,
    };
    bootstrapDir = path.join(cfg.paths.modelsDir, 'archive', boot.result.championVersionId);

    let champion = frozen;
    let trainImages = 0;
    let pool = splits.train.count;
    for (let k = 1; k <= cycles; k++) {
      const t0 = Date.now();
      await mlops.stream(batch, { lagThreshold: 0, ...opts });
      const { result: r } = await mlops.retrain(
        { minRecords: batch, maxRecords: batch, maxWaitMs: 10_000 },
        opts,
      );
      if (r.decision === 'skipped') throw new Error(`cycle ${k} was skipped: ${r.reason}`);
      const valid = r.counts.valid;
      trainImages +=
        (valid + replayCountFor(valid, pool, cfg.training.replayShare)) * cfg.training.fineTuneEpochs;
      pool += valid;
      const challenger = r.challenger && {
        validationAccuracy: r.challenger.validation.accuracy,
        testAccuracy: r.challenger.test.accuracy,
      };
      if (r.decision === 'promoted' && challenger) champion = challenger;
      rows.push({
        cycle: k,
        streamed: k * batch,
        ours: {
          ...champion,
          decision: r.decision,
          reason: r.reason,
          trainImages,
          ...(challenger ? { challenger } : {}),
        },
      });
      seconds[`cycle${k}`] = Math.round((Date.now() - t0) / 100) / 10;
      log(
        `seed ${seed} cycle ${k}/${cycles}: ${r.decision} (${r.reason}); champion test ` +
          `${(champion.testAccuracy * 100).toFixed(2)}%, ${seconds[`cycle${k}`]} s`,
      );
    }
  } finally {
    await workers.shutdown();
    for (const name of paused)
      await mlops.schedules.unpause(name, 'unpaused by bench:continual').catch(() => undefined);
    await mlops.close();
  }

  const tf = loadTf(cfg.training.device);
  log(`seed ${seed}: naive baseline`);
  const naive = await timed('naive', () => runNaive(tf, cfg, bootstrapDir, splits, batch, cycles));
  log(`seed ${seed}: joint baseline (from scratch on ${splits.train.count + cycles * batch} images)`);
  const joint = await timed('joint', () => runJoint(tf, cfg, splits, cycles * batch));
  return {
    seed,
    frozen,
    joint,
    cycles: rows.map((row, i) => ({
      ...row,
      naive: { ...naive.perCycle[i]!, trainImages: naive.trainImages[i]! },
    })),
    seconds,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The issue's summary line: final values, accuracies as fractions, means over seeds. */
function summarise(batch: number, seeds: SeedResult[]) {
  const last = (s: SeedResult) => s.cycles.at(-1)!;
  const acc = (f: (s: SeedResult) => number) => r4(mean(seeds.map(f)));
  const spread = (f: (s: SeedResult) => number) => r4(std(seeds.map(f)));
  const decisions = (d: string) =>
    seeds.reduce((n, s) => n + s.cycles.filter((c) => c.ours.decision === d).length, 0);
  return {
    cycles: seeds[0]!.cycles.length,
    batch,
    seeds: seeds.length,
    frozen: { testAccuracy: acc((s) => s.frozen.testAccuracy) },
    naive: {
      testAccuracy: acc((s) => last(s).naive.testAccuracy),
      trainImages: last(seeds[0]!).naive.trainImages,
    },
    ours: {
      testAccuracy: acc((s) => last(s).ours.testAccuracy),
      trainImages: last(seeds[0]!).ours.trainImages,
      promoted: decisions('promoted'),
      rejected: decisions('rejected'),
    },
    joint: { testAccuracy: acc((s) => s.joint.testAccuracy), trainImages: seeds[0]!.joint.trainImages },
    ...(seeds.length > 1
      ? {
          spread: {
            frozen: spread((s) => s.frozen.testAccuracy),
            naive: spread((s) => last(s).naive.testAccuracy),
            ours: spread((s) => last(s).ours.testAccuracy),
            joint: spread((s) => s.joint.testAccuracy),
          },
        }
      : {}),
  };
}

/** Largest test-accuracy drop of a promotion against the champion it replaced (the gate's guard). */
export function worstPromotedTestDrop(s: SeedResult): number {
  let before = s.frozen.testAccuracy;
  let worst = 0;
  for (const c of s.cycles) {
    if (c.ours.decision === 'promoted') worst = Math.max(worst, before - c.ours.testAccuracy);
    before = c.ours.testAccuracy;
  }
  return worst;
}

function markdownTable(seeds: SeedResult[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}`;
  const lines: string[] = [];
  for (const s of seeds) {
    lines.push(
      `Seed ${s.seed}: frozen ${pct(s.frozen.testAccuracy)} %, joint ${pct(s.joint.testAccuracy)} % ` +
        `(${s.joint.trainImages} training images)`,
      '',
      '| cycle | streamed | ours test % | ours val % | decision | ours images | naive test % | naive images |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const c of s.cycles) {
      lines.push(
        `| ${c.cycle} | ${c.streamed} | ${pct(c.ours.testAccuracy)} | ${pct(c.ours.validationAccuracy)} | ` +
          `${c.ours.decision} | ${c.ours.trainImages} | ${pct(c.naive.testAccuracy)} | ${c.naive.trainImages} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function logToMlflow(
  cfg: Config,
  tag: string,
  summary: object,
  files: Record<string, string>,
): Promise<string> {
  const client = new MlflowClient(cfg.mlflow);
  const metrics = Object.entries(summary).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null
      ? Object.entries(v as Record<string, unknown>)
          .filter((e): e is [string, number] => typeof e[1] === 'number')
          .map(([m, value]) => ({ key: `${k}_${m}`, value, step: 0 }))
      : [],
  );
  const run = await executeRunPlan(
    client,
    { experiment: 'bench-continual', registeredModel: 'bench-continual' },
    {
      idempotencyKey: `bench-continual-${tag}`,
      runName: 'bench-continual',
      params: {
        batch: (summary as { batch: number }).batch,
        seeds: (summary as { seeds: number }).seeds,
        fine_tune_epochs: cfg.training.fineTuneEpochs,
        fine_tune_learning_rate: cfg.training.fineTuneLearningRate,
        replay_share: cfg.training.replayShare,
        promotion_min_gain: cfg.promotion.minGain,
      },
      metrics,
      tags: { 'mlflow.note.content': 'Continual training vs naive, frozen and joint baselines' },
      datasets: [],
      files: await Promise.all(
        Object.entries(files).map(async ([name, file]) => ({ path: name, bytes: await fs.readFile(file) })),
      ),
    },
  );
  return run.runId;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string' },
      cycles: { type: 'string' },
      seeds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const quick = values.quick!;
  const batch = positive('batch', values.batch, quick ? 200 : 2000);
  const cycles = values.cycles !== undefined ? positive('cycles', values.cycles, 0) : quick ? 2 : undefined;
  const seedCount = positive('seeds', values.seeds, 1);
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'bench', 'results'));
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });

  const tag = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  const cfg = loadConfig();
  const t0 = Date.now();
  const seeds: SeedResult[] = [];
  for (let i = 0; i < seedCount; i++)
    seeds.push(await runSeed(tag, cfg.training.seed + i, batch, cycles, quick));
  const summary = summarise(batch, seeds);
  const worstDrop = Math.max(...seeds.map(worstPromotedTestDrop));

  await fs.mkdir(outDir, { recursive: true });
  const files = {
    'continual.json': path.join(outDir, 'continual.json'),
    'continual.md': path.join(outDir, 'continual.md'),
    'continual.png': path.join(outDir, 'continual.png'),
  };
  // The settings the seeds ran with (quick mode overrides some).
  const ran = loadConfig(seedEnv(tag, cfg.training.seed, outDir, batch, quick));
  const full = {
    date: new Date().toISOString(),
    batch,
    settings: {
      epochs: ran.training.epochs,
      fineTuneEpochs: ran.training.fineTuneEpochs,
      fineTuneLearningRate: ran.training.fineTuneLearningRate,
      replayShare: ran.training.replayShare,
      promotionMinGain: cfg.promotion.minGain,
      promotionTestTolerance: ran.promotion.testTolerance,
    },
    worstPromotedTestDrop: worstDrop,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
    summary,
    seeds,
  };
  await fs.writeFile(files['continual.json'], `${JSON.stringify(full, null, 2)}\n`);
  await fs.writeFile(files['continual.md'], markdownTable(seeds));
  const python = path.join(cfg.stack.cacheDir, 'venv', 'bin', 'python');
  await promisify(execFile)(python, [
    path.join(__dirname, 'chart.py'),
    files['continual.json'],
    files['continual.png'],
  ]);
  const runId = await logToMlflow(ran, tag, summary, files);
  log(
    `results in ${outDir}; MLflow run ${runId}; wall ${full.wallSeconds} s; worst promoted test drop ${worstDrop}`,
  );
  console.log(JSON.stringify(summary));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`[bench:continual] ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
