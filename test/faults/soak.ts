/**
 * `npm run test:soak -- --minutes M`: the pipeline left running on its own Schedules at high frequency
 * (a stream run every few seconds, the lag trigger starting retrains) while faults from the catalogue
 * hit it at random times; then the schedules stop, the stream is drained, and the fault suite's
 * invariants checker judges every sample. Not in CI: it runs for as long as it is told.
 *
 * Truth from outside the app: what was asked to be published is read from Temporal (every stream run
 * the schedule started and the `count` in its input), not from the app's ledger; the retrains' batch
 * lists come from Temporal's record of each completed run.
 */
import { mkdirSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import prand from 'pure-rand';
import { deleteSchedule, ensureSchedule, scheduleSettings } from '../../src/client/schedules';
import type { ServiceName } from '../../src/stack/paths';
import {
  WORKFLOW_IDS,
  type RetrainResult,
  type RetrainStart,
  type StreamNewDataInput,
} from '../../src/shared';
import { createSuite, invariants, type Suite } from './suite';
import { SuiteStack } from './stack-control';
import { SOAK, suiteEnv } from './suite-env';
import { seconds, sleep, waitFor } from './wait';

const say = (m: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Options {
  readonly minutes: number;
  readonly seed: number;
  /** Seconds between stream runs, and between lag checks. */
  readonly streamEvery: number;
  readonly streamBatch: number;
  readonly lagThreshold: number;
  /** Mean seconds between two faults. */
  readonly faultEvery: number;
}

function positive(what: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
    return n;
  };
}

function parseOptions(argv: string[]): Options {
  const o = new Command('test:soak')
    .description('Schedules at high frequency with random faults, then the invariants')
    .option('--minutes <m>', 'how long faults are injected', positive('--minutes'), 30)
    .option('--seed <n>', 'seed of the fault choice and timing', positive('--seed'), Date.now() % 100_000)
    .option(
      '--stream-every <s>',
      'seconds between stream runs and between lag checks',
      positive('--stream-every'),
      3,
    )
    .option('--stream-batch <n>', 'samples per stream run', positive('--stream-batch'), 40)
    .option('--lag-threshold <n>', 'records waiting that trigger a retrain', positive('--lag-threshold'), 300)
    .option('--fault-every <s>', 'mean seconds between faults', positive('--fault-every'), 45)
    .parse(argv)
    .opts<Options>();
  return { ...o, streamBatch: Math.round(o.streamBatch), lagThreshold: Math.round(o.lagThreshold) };
}

/** One kind of fault: does it, returns the evidence that it took effect, and puts things back. */
interface Fault {
  readonly name: string;
  inject(s: Suite, rng: () => number): Promise<string>;
}

const holdMs = (rng: () => number) => 1000 + Math.floor(rng() * 6000);

function crash(service: ServiceName): Fault {
  return {
    name: `SIGKILL ${service}`,
    async inject(s, rng) {
      const evidence = await s.stack.crash(service);
      await sleep(holdMs(rng));
      await s.stack.start(service);
      return evidence;
    },
  };
}

function stop(service: ServiceName): Fault {
  return {
    name: `graceful stop ${service}`,
    async inject(s, rng) {
      const evidence = await s.stack.stop(service);
      await sleep(holdMs(rng));
      await s.stack.start(service);
      return evidence;
    },
  };
}

function killWorker(which: 'io' | 'training'): Fault {
  return {
    name: `SIGKILL ${which} worker`,
    async inject(s, rng) {
      const w = s[which];
      const pid = w.pid;
      await w.kill();
      const evidence = `${which} worker pid ${pid} exited on SIGKILL`;
      await sleep(holdMs(rng));
      await w.start();
      return evidence;
    },
  };
}

/** The catalogue: every service crashed, the two workers killed, and the graceful stops. */
export const CATALOGUE: readonly Fault[] = [
  crash('postgres'),
  crash('kafka'),
  crash('temporal'),
  crash('mlflow'),
  killWorker('training'),
  killWorker('io'),
  stop('postgres'),
  stop('kafka'),
];

/** Temporal's list of every run of a workflow type in this namespace (the soak's server is its own). */
async function runsOf(s: Suite, type: string, status?: string) {
  const query = `WorkflowType="${type}"${status ? ` AND ExecutionStatus="${status}"` : ''}`;
  const out: { workflowId: string; runId: string; startTime: Date }[] = [];
  for await (const w of s.pipeline.client.workflow.list({ query }))
    out.push({ workflowId: w.workflowId, runId: w.runId, startTime: w.startTime });
  return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv);
  const t0 = Date.now();
  const env = suiteEnv(SOAK);
  const { cfg } = env;
  const stack = new SuiteStack(cfg, say);
  say(
    `run ${env.tag}: ${opts.minutes} min of faults (seed ${opts.seed}, one every ~${opts.faultEvery} s), ` +
      `stream ${opts.streamBatch} every ${opts.streamEvery} s, retrain at lag ${opts.lagThreshold}`,
  );
  await stack.startFresh();
  mkdirSync(env.logsDir, { recursive: true });
  const s = await createSuite(env, stack, say);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([s.io.kill(), s.training.kill()]).then(() => process.exit(130));
    });
  }
  const settings = {
    ...scheduleSettings(cfg, {
      streamIntervalMs: opts.streamEvery * 1000,
      lagCheckIntervalMs: opts.streamEvery * 1000,
    }),
    streamBatchSize: opts.streamBatch,
    lagThreshold: opts.lagThreshold,
    idPrefix: `soak-${env.tag}-`,
  };
  const rng = (() => {
    const g = prand.xoroshiro128plus(opts.seed);
    return () => prand.unsafeUniformIntDistribution(0, 1_000_000, g) / 1_000_001;
  })();
  const byKind = new Map<string, number>();
  let failedFaults = 0;
  try {
    await Promise.all([s.io.start(), s.training.start()]);
    const boot = (await s.pipeline
      .handle((await s.pipeline.start('bootstrapWorkflow', `bootstrap-${env.tag}`, [{}])).workflowId)
      .result()) as { status: string; championVersionId: string };
    say(`bootstrap: ${boot.status} ${boot.championVersionId}`);
    for (const name of ['stream', 'lag-trigger'] as const)
      await ensureSchedule(s.pipeline.client, name, settings);
    say('schedules running: stream and lag-trigger');

    const end = Date.now() + opts.minutes * 60_000;
    while (Date.now() < end) {
      // Exponential gaps: faults come at random times, sometimes close together.
      const gap = Math.min(-Math.log(1 - rng()) * opts.faultEvery * 1000, end - Date.now());
      await sleep(Math.max(0, gap));
      if (Date.now() >= end) break;
      const fault = CATALOGUE[Math.floor(rng() * CATALOGUE.length)]!;
      s.faults += 1;
      const n = s.faults;
      const at = Date.now();
      try {
        const evidence = await fault.inject(s, rng);
        byKind.set(fault.name, (byKind.get(fault.name) ?? 0) + 1);
        say(`FAULT ${n}: ${fault.name}: ${evidence}; back after ${seconds(Date.now() - at)}`);
      } catch (e) {
        failedFaults += 1;
        say(`FAULT ${n}: ${fault.name} could not be injected or undone: ${(e as Error).message}`);
        await stack.up().catch(() => undefined);
        for (const w of [s.io, s.training]) if (!w.running()) await w.start().catch(() => undefined);
      }
    }

    say('faults over: stopping the schedules and draining the stream');
    for (const name of ['stream', 'lag-trigger'] as const)
      // waitFor retries through the outage a last fault may have left (a restarting Temporal).
      await waitFor(
        `delete the ${name} schedule`,
        () => deleteSchedule(s.pipeline.client, name, settings).then(() => true),
        {
          timeoutMs: 300_000,
          intervalMs: 1000,
        },
      );
    await waitFor(
      'open stream and lag-check runs to finish',
      async () =>
        (await runsOf(s, 'streamNewDataWorkflow', 'Running')).length +
          (await runsOf(s, 'lagCheckWorkflow', 'Running')).length ===
        0,
      { timeoutMs: 600_000, intervalMs: 2000 },
    );
    // Retrains until nothing waits: the last stream runs may have left fewer records than the threshold.
    for (let round = 0; round < 20; round++) {
      // However few are left: RETRAIN_MIN_RECORDS would leave a last handful unread.
      const check = await s.pipeline.start('lagCheckWorkflow', `soak-drain-${env.tag}-${round}`, [
        { lagThreshold: 1, retrain: { minRecords: 1 } },
      ]);
      const r = (await check.result()) as RetrainStart;
      if (r.status === 'started') {
        await s.pipeline.client.workflow.getHandle(r.workflowId, r.runId).result();
      } else if (/retrain is running/.test(r.reason)) {
        await s.pipeline.handle(WORKFLOW_IDS.retrain).result();
      } else break;
    }

    // The truth: every stream run the schedule started asked for `count` samples, in start order.
    for (const run of await runsOf(s, 'streamNewDataWorkflow')) {
      const d = await s.pipeline.client.workflow.getHandle(run.workflowId, run.runId).describe();
      const status = d.status.name;
      if (status !== 'COMPLETED') {
        say(`stream run ${run.workflowId}/${run.runId} ended ${status}`);
        continue;
      }
      const input = (await s.pipeline.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory())
        .events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const { count } = JSON.parse(Buffer.from(input!).toString('utf8')) as StreamNewDataInput;
      s.requests.stream(count);
    }
    const retrains = await runsOf(s, 'retrainWorkflow', 'Completed');
    const decisions = new Map<string, number>();
    for (const run of retrains) {
      const r = (await s.pipeline.client.workflow
        .getHandle(run.workflowId, run.runId)
        .result()) as RetrainResult;
      decisions.set(r.decision, (decisions.get(r.decision) ?? 0) + 1);
      if (r.batchIds?.length) s.trained.set(`${run.workflowId}/${run.runId}`, r.batchIds);
    }
    const inv = await invariants(s);
    const kinds = [...byKind].map(([k, v]) => `${k} ×${v}`).join(', ');
    say(`faults: ${s.faults} (${kinds}${failedFaults ? `; ${failedFaults} failed to inject` : ''})`);
    say(
      `cycles: ${retrains.length} (${[...decisions].map(([d, n]) => `${d} ${n}`).join(', ')}); ` +
        `${s.requests.requestedCount} samples requested by ${(await runsOf(s, 'streamNewDataWorkflow')).length} stream runs`,
    );
    for (const p of inv.problems) say(`INVARIANT BROKEN: ${p}`);
    const ok =
      failedFaults === 0 &&
      inv.problems.length === 0 &&
      inv.lost.length === 0 &&
      inv.duplicated.length === 0 &&
      inv.samplesChecked === s.requests.requestedCount &&
      s.requests.requestedCount > 0;
    console.log(
      `soak: ${opts.minutes} min, ${s.faults} faults, ${retrains.length} cycles, ${inv.samplesChecked} of ` +
        `${s.requests.requestedCount} samples checked, training evidence of ${inv.batchesTrainedChecked} batches, ` +
        `lost ${inv.lost.length}, duplicated ${inv.duplicated.length} (${seconds(Date.now() - t0)} in all)`,
    );
    return ok ? 0 : 1;
  } finally {
    await Promise.allSettled([s.io.stop(), s.training.stop()]);
    await Promise.allSettled([s.pipeline.close(), s.ledger.close()]);
    await stack.downAll().catch((e: Error) => say(`stack down failed: ${e.message}`));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    console.log(`soak: aborted (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    process.exit(1);
  },
);
