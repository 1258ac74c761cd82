/**
 * `npm run bench:scale [-- --repeats R] [--warmup W] [--records N]`: does spreading the pipeline slow a cycle? Two
 * deployments on one private stack (the scale test's ports), each in a Temporal namespace of its own so
 * their workers never take each other's tasks:
 *   one  — 1 partition, FILE_EXCHANGE=shared-disk, 1 IO + 1 training worker on one root (the default);
 *   many — 3 partitions, FILE_EXCHANGE=mlflow, 2 IO + 2 training workers, each on its own root.
 * Both bootstrap, then run cycles of N new records interleaved (one, many, one, many …), every cycle
 * promoting (the full path). The first W cycles of each are not counted: a worker process pays for its
 * first Kafka group join and first store transfers once in its life (~0.5 s each, measured), and the many
 * side has four processes to warm against the one side's two; a steady cycle is what the figure is about. Per cycle, from its Temporal history: wall time, and the time outside fine-tuning and the
 * challenger's evaluation. Prints medians with min–max, and one JSON line last.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../src/config';
import { SuiteStack } from '../../test/faults/stack-control';
import { createSuite, retrainResult, streamWithRetrain, type Suite } from '../../test/faults/suite';
import { SCALE, suiteEnv, type SuiteEnv } from '../../test/faults/suite-env';
import { waitFor } from '../../test/faults/wait';
import { WorkerProcess } from '../../test/faults/worker-process';
import { cycleOverhead } from '../pipeline/overhead';

const ALWAYS_PROMOTE = { promotionMinGain: -1, promotionTestTolerance: 1 };

const log = (m: string) =>
  process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

interface Deployment {
  readonly name: 'one' | 'many';
  readonly suite: Suite;
  readonly workers: WorkerProcess[];
  readonly wallMs: number[];
  readonly outsideTrainingMs: number[];
  /** Per activity type, its time in each cycle. */
  readonly byActivity: Map<string, number[]>;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const spread = (xs: readonly number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`;

/** The deployment's own names, roots and namespace on the shared stack. */
function deploymentEnv(base: SuiteEnv, name: string, env: Record<string, string>): SuiteEnv {
  const pipeline = `${name}-${base.tag}`;
  const overrides = {
    TEMPORAL_NAMESPACE: `bench-${name}`,
    KAFKA_TOPIC: pipeline,
    KAFKA_DLQ_TOPIC: `${pipeline}.dlq`,
    KAFKA_CONSUMER_GROUP: pipeline,
    MLFLOW_EXPERIMENT: pipeline,
    MLFLOW_REGISTERED_MODEL: pipeline,
    DATA_DIR: path.join(base.runDir, name, 'data'),
    MODELS_DIR: path.join(base.runDir, name, 'models'),
    ...env,
  };
  const full = { ...base.env, ...overrides };
  return { ...base, env: full, cfg: loadConfig(full), runDir: path.join(base.runDir, name) };
}

function worker(d: SuiteEnv, kind: 'io' | 'training', label: string, root?: string): WorkerProcess {
  const env = root
    ? { ...d.env, DATA_DIR: path.join(root, 'data'), MODELS_DIR: path.join(root, 'models') }
    : d.env;
  return new WorkerProcess(kind, env, d.logsDir, label);
}

async function main(): Promise<void> {
  const opts = new Command('bench:scale')
    .option('--repeats <r>', 'cycles per deployment, interleaved', positiveInt, 3)
    .option('--warmup <w>', 'cycles per deployment run first and not counted', nonNegativeInt, 2)
    .option('--records <n>', 'new records per cycle', positiveInt, 1500)
    .option('--fine-tune-epochs <e>', 'epochs of each fine-tune (default: the product default)', positiveInt)
    .parse(process.argv)
    .opts<{ repeats: number; warmup: number; records: number; fineTuneEpochs?: number }>();
  const base = suiteEnv(SCALE);
  // The suite's environment fine-tunes 1 epoch to keep tests short; a cycle is measured as the product runs it.
  const productEnv = { ...base.env };
  delete productEnv.FINE_TUNE_EPOCHS;
  const fineTuneEpochs = opts.fineTuneEpochs ?? loadConfig(productEnv).training.fineTuneEpochs;
  const cycleInput = { ...ALWAYS_PROMOTE, fineTuneEpochs };
  const stack = new SuiteStack(base.cfg, (m) => log(m));
  await stack.startFresh();
  await fs.mkdir(base.logsDir, { recursive: true });
  const connection = await Connection.connect({ address: base.cfg.temporal.address });
  for (const ns of ['bench-one', 'bench-many']) {
    await connection.workflowService.registerNamespace({
      namespace: ns,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  }
  await connection.close();

  const oneEnv = deploymentEnv(base, 'one', { KAFKA_TOPIC_PARTITIONS: '1', FILE_EXCHANGE: 'shared-disk' });
  const manyEnv = deploymentEnv(base, 'many', { KAFKA_TOPIC_PARTITIONS: '3', FILE_EXCHANGE: 'mlflow' });
  const hosts = (h: string) => path.join(manyEnv.runDir, 'hosts', h);
  const deployments: Deployment[] = [
    {
      name: 'one',
      suite: await createSuite(oneEnv, stack, log),
      workers: [worker(oneEnv, 'io', 'one-io'), worker(oneEnv, 'training', 'one-training')],
      wallMs: [],
      outsideTrainingMs: [],
      byActivity: new Map(),
    },
    {
      name: 'many',
      suite: await createSuite(manyEnv, stack, log),
      workers: [
        worker(manyEnv, 'io', 'many-io-a', hosts('io-a')),
        worker(manyEnv, 'io', 'many-io-b', hosts('io-b')),
        worker(manyEnv, 'training', 'many-training-a', hosts('training-a')),
        worker(manyEnv, 'training', 'many-training-b', hosts('training-b')),
      ],
      wallMs: [],
      outsideTrainingMs: [],
      byActivity: new Map(),
    },
  ];
  try {
    // A fresh namespace takes a moment to reach the frontend's cache: retry the first start.
    for (const d of deployments) {
      await Promise.all(d.workers.map((w) => w.start()));
      const id = `bootstrap-${d.name}-${base.tag}`;
      await waitFor(
        `namespace bench-${d.name}`,
        () => d.suite.pipeline.start('bootstrapWorkflow', id, [{}]),
        {
          timeoutMs: 60_000,
          intervalMs: 1000,
        },
      );
      await d.suite.pipeline.handle(id).result();
      log(`${d.name}: ${d.workers.length} workers, bootstrapped`);
    }
    for (let r = 1 - opts.warmup; r <= opts.repeats; r++) {
      for (const d of deployments) {
        // Every cycle promotes, on both sides: a rejected cycle skips storing and promoting, and the two
        // would not compare (an earlier run had 3 of 5 rejected on one side, none on the other).
        const { retrainId } = await streamWithRetrain(
          d.suite,
          `${d.name}-${r > 0 ? r : `warmup${1 - r}`}`,
          opts.records,
          cycleInput,
        );
        const result = await retrainResult(d.suite, retrainId);
        const history = await d.suite.pipeline.handle(retrainId).fetchHistory();
        const o = cycleOverhead(retrainId, history.events ?? []);
        if (r <= 0) {
          log(`${d.name} warm-up cycle: ${result.decision}, wall ${o.wallMs} ms (not counted)`);
          continue;
        }
        d.wallMs.push(o.wallMs);
        d.outsideTrainingMs.push(o.outsideTrainingMs);
        for (const [type, ms] of Object.entries(o.byActivity))
          d.byActivity.set(type, [...(d.byActivity.get(type) ?? []), ms]);
        log(
          `${d.name} cycle ${r}: ${result.decision} on ${result.batchIds?.length} batch(es), wall ${o.wallMs} ms, ` +
            `outside training ${o.outsideTrainingMs} ms`,
        );
      }
    }
  } finally {
    await Promise.allSettled(deployments.flatMap((d) => d.workers.map((w) => w.stop())));
    await Promise.allSettled(deployments.flatMap((d) => [d.suite.pipeline.close(), d.suite.ledger.close()]));
    await stack.downAll().catch(() => undefined);
  }
  const figure = (d: Deployment) => ({
    wallMs: median(d.wallMs),
    wallSpreadMs: spread(d.wallMs),
    outsideTrainingMs: median(d.outsideTrainingMs),
    outsideTrainingSpreadMs: spread(d.outsideTrainingMs),
  });
  // Where a spread-out cycle spends its extra time: median per activity, one vs many.
  const [a, b] = deployments as [Deployment, Deployment];
  for (const type of [...new Set([...a.byActivity.keys(), ...b.byActivity.keys()])].sort()) {
    const ma = median(a.byActivity.get(type) ?? [0]);
    const mb = median(b.byActivity.get(type) ?? [0]);
    log(
      `${type.padEnd(22)} one ${String(Math.round(ma)).padStart(6)} ms  many ${String(Math.round(mb)).padStart(6)} ms  (${mb - ma >= 0 ? '+' : ''}${Math.round(mb - ma)})`,
    );
  }
  const [one, many] = deployments.map(figure) as [ReturnType<typeof figure>, ReturnType<typeof figure>];
  console.log(
    JSON.stringify({
      repeats: opts.repeats,
      warmup: opts.warmup,
      fineTuneEpochs,
      records: opts.records,
      one: { partitions: 1, ioWorkers: 1, trainingWorkers: 1, exchange: 'shared-disk', ...one },
      many: { partitions: 3, ioWorkers: 2, trainingWorkers: 2, exchange: 'mlflow', ...many },
      wallRatio: Number((many.wallMs / one.wallMs).toFixed(3)),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
