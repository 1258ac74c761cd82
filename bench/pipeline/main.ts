/**
 * `npm run bench:pipeline [-- --records N] [--runs K] [--json] [--cpu-profile FILE]`: the ingest path
 * of a retrain cycle against the running local Kafka and PostgreSQL (npm run stack -- up). Each run
 * publishes N valid records plus a few poison ones to a fresh topic, then takes them as the retrain
 * workflow does (takeBatches: consume → validate → snapshot → dead letters → ledger) and measures
 * records/s and CPU time per stage; the figures printed are the medians over the runs. Topics, groups,
 * snapshots and ledger rows are removed after each run. See bench/pipeline/README.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import os from 'node:os';
import { loadConfig } from '../../src/config';
import { createKafka } from '../../src/adapters/kafka/client';
import { Ledger } from '../../src/adapters/pg/ledger';
import { TAKE_STAGES, type StageTime } from '../../src/domain/stream/stage-clock';
import { connect } from '../../src/client/connection';
import { latestCycleOverheads } from './overhead';
import { runOnce, type RunResult } from './run';

interface CliOptions {
  records: number;
  runs: number;
  overhead?: boolean;
  cycles: number;
  json?: boolean;
  cpuProfile?: string;
}

interface Figure {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly recordsPerSec: number;
  /** Records per second of this process's CPU time: what one fully busy core would do. */
  readonly recordsPerCpuSec: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

const log = (line: string) => process.stderr.write(`[bench:pipeline] ${line}\n`);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function figure(records: number, times: readonly StageTime[]): Figure {
  const wallMs = median(times.map((t) => t.wallMs));
  const cpuMs = median(times.map((t) => t.cpuMs));
  return {
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    recordsPerSec: Math.round(records / (wallMs / 1000)),
    recordsPerCpuSec: Math.round(records / (cpuMs / 1000)),
  };
}

function row(name: string, f: Figure): string {
  return [
    name.padEnd(24),
    `${String(f.wallMs).padStart(6)} ms`,
    `${String(f.recordsPerSec).padStart(8)} records/s`,
    `CPU ${String(f.cpuMs).padStart(6)} ms`,
    `${String(f.recordsPerCpuSec).padStart(8)} records/CPU-s`,
  ].join(' | ');
}

function summarise(runs: readonly RunResult[]) {
  const first = runs[0]!;
  const total = first.records + first.poison;
  const stages = TAKE_STAGES.filter((s) => runs.every((r) => r.stages.has(s))).map(
    (s) =>
      [
        s,
        figure(
          total,
          runs.map((r) => r.stages.get(s)!),
        ),
      ] as const,
  );
  const servers = runs.map((r) => r.serverCpuMs).filter((s) => s !== undefined);
  return {
    records: first.records,
    poison: first.poison,
    recordBytes: first.recordBytes,
    snapshotBytes: first.snapshotBytes,
    runs: runs.length,
    publish: figure(
      first.records,
      runs.map((r) => r.publish),
    ),
    stages: Object.fromEntries(stages),
    take: figure(
      total,
      runs.map((r) => r.take),
    ),
    takePerRun: runs.map((r) => figure(total, [r.take])),
    serverCpuMs:
      servers.length === runs.length
        ? {
            kafka: Math.round(median(servers.map((s) => s.kafka))),
            postgres: Math.round(median(servers.map((s) => s.postgres))),
          }
        : undefined,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      loadavg1m: Number(os.loadavg()[0]!.toFixed(2)),
      node: process.version,
    },
  };
}

function print(s: ReturnType<typeof summarise>): void {
  const lines = [
    `${s.records} valid + ${s.poison} poison records of ${s.recordBytes} B, one partition; ` +
      `snapshot ${(s.snapshotBytes / 1e6).toFixed(1)} MB; median of ${s.runs} run(s)`,
    row('publish (+ledger dedupe)', s.publish),
    ...Object.entries(s.stages).map(([name, f]) => row(`  ${name}`, f)),
    row('take (total)', s.take),
    `take per run: ${s.takePerRun.map((f) => `${f.wallMs} ms wall / ${f.cpuMs} ms CPU`).join(', ')}`,
    `take CPU / wall = ${(s.take.cpuMs / s.take.wallMs).toFixed(2)} cores` +
      (s.serverCpuMs
        ? `; meanwhile Kafka used ${s.serverCpuMs.kafka} ms CPU, PostgreSQL ${s.serverCpuMs.postgres} ms`
        : ''),
    `machine: ${s.machine.cpus} × ${s.machine.cpuModel}, load ${s.machine.loadavg1m} (1 min), Node ${s.machine.node}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(opts: CliOptions): Promise<void> {
  const cfg = loadConfig(process.env);
  const kafka = createKafka(cfg.kafka, 'bench-pipeline');
  const ledger = await Ledger.open(cfg.postgres).catch((e: unknown) => {
    throw new Error(
      `cannot reach the ledger at ${cfg.postgres.host}:${cfg.postgres.port} (${(e as Error).message}); ` +
        'start the stack with `npm run stack -- up`',
    );
  });
  try {
    const runs: RunResult[] = [];
    for (let i = 0; i < opts.runs; i++) {
      log(`run ${i + 1} of ${opts.runs}`);
      // Profile only the last run: the earlier ones warm the JIT as a long-lived worker would be.
      const cpuProfile = i === opts.runs - 1 ? opts.cpuProfile : undefined;
      runs.push(await runOnce({ cfg, kafka, ledger }, { records: opts.records, cpuProfile }, log));
    }
    const summary = summarise(runs);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else print(summary);
  } finally {
    await ledger.close();
  }
}

async function overhead(opts: CliOptions): Promise<void> {
  const cfg = loadConfig(process.env);
  const conn = await connect(cfg);
  try {
    const cycles = await latestCycleOverheads(conn.client, opts.cycles);
    if (cycles.length === 0) {
      throw new Error(
        `no completed retrainWorkflow on ${cfg.temporal.address}: run a retrain cycle with real workers first (npm run demo)`,
      );
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(cycles, null, 2)}\n`);
      return;
    }
    for (const c of cycles) {
      process.stdout.write(
        `${c.workflowId}: wall ${c.wallMs} ms, activities ${c.activityMs} ms (${c.activities}), ` +
          `overhead ${c.overheadMs} ms (of which activity queueing ${c.queueMs} ms); ` +
          `outside fine-tuning and the challenger's evaluation ${c.outsideTrainingMs} ms\n` +
          `  ${Object.entries(c.byActivity)
            .map(([a, t]) => `${a} ${t}`)
            .join(', ')} (ms)\n`,
      );
    }
    const m = median(cycles.map((c) => c.overheadMs));
    process.stdout.write(`median overhead over ${cycles.length} cycle(s): ${Math.round(m)} ms\n`);
    const outside = median(cycles.map((c) => c.outsideTrainingMs));
    process.stdout.write(
      `median time outside fine-tuning and the challenger's evaluation: ${Math.round(outside)} ms\n`,
    );
  } finally {
    await conn.close();
  }
}

const program = new Command('bench:pipeline')
  .description('Ingest throughput (publish, consume, validate, snapshot, ledger) against the local stack')
  .option('--records <n>', 'valid records per run', positiveInt, 20_000)
  .option('--runs <k>', 'runs, each on a fresh topic; figures are medians', positiveInt, 3)
  .option('--json', 'print the figures as JSON')
  .option('--overhead', 'instead: orchestration overhead of the latest completed retrain cycles')
  .option('--cycles <k>', 'with --overhead: how many cycles', positiveInt, 5)
  .option('--cpu-profile <file>', "write a CPU profile of the last run's take (.cpuprofile, for DevTools)")
  .action(async (opts: CliOptions) => (opts.overhead ? overhead(opts) : main(opts)));

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${(e as Error).message}\n`);
  process.exit(1);
});
