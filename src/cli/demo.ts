/**
 * `npm run demo`: the whole loop on the native stack, in minutes on two cores.
 *   stack up → IO and training workers in this process → bootstrap (DEMO_EPOCHS, or reuse the champion)
 *   → stream DEMO_STREAM_COUNT samples → retrain → summary → schedules at demo intervals → workers stopped.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../config';
import { MlflowClient } from '../adapters/mlflow';
import { ClientError, MlopsClient, type ScheduleName } from '../client';
import { ModelStore } from '../domain/registry/store';
import { status, up } from '../stack/orchestrator';
import { stackPaths } from '../stack/paths';
import { allServices } from '../stack/services';
import { renderTable } from '../stack/table';
import { startWorkers, type StartOptions, type WorkersHandle } from '../workers/start';
import { WORKFLOW_IDS, type SplitScores } from '../shared';
import { renderDemoSummary, type DemoStep, type DemoSummary } from './demo-summary';
import { exitCodeFor } from './exit-codes';
import { schedulesTable } from './format';
import { progressView } from './progress-view';

const say = (m: string) => console.log(`[demo] ${m}`);

export interface DemoOptions {
  /** Private queues and schedule ids for tests; the demo itself uses the real ones. */
  readonly workers?: StartOptions;
  readonly scheduleIdPrefix?: string;
  /** Skip bringing the stack up (tests run against the one already up). */
  readonly stackIsUp?: boolean;
}

async function timed<T>(
  steps: DemoStep[],
  name: string,
  fn: () => Promise<T>,
  describe: (t: T) => Omit<DemoStep, 'name' | 'ms'>,
): Promise<T> {
  const t0 = Date.now();
  say(`${name} …`);
  const value = await fn();
  const step = { name, ms: Date.now() - t0, ...describe(value) };
  steps.push(step);
  say(`${name}: ${step.outcome} (${(step.ms / 1000).toFixed(1)} s)`);
  return value;
}

function championScores(metrics: Readonly<Record<string, number>>): SplitScores | undefined {
  const { validation_accuracy: va, validation_loss: vl, test_accuracy: ta, test_loss: tl } = metrics;
  if (va === undefined || ta === undefined) return undefined;
  return {
    validation: { accuracy: va, loss: vl ?? NaN, count: 0 },
    test: { accuracy: ta, loss: tl ?? NaN, count: 0 },
  };
}

async function bringStackUp(config: Config): Promise<void> {
  const ctx = { config, paths: stackPaths(config), say: (m: string) => say(m) };
  await up(ctx, allServices(ctx));
  const rows = await status(ctx, allServices(ctx));
  say(
    `stack:\n${renderTable(
      ['SERVICE', 'HEALTH', 'URL'],
      rows.map((r) => [r.service.name, r.healthy ? 'healthy' : 'DOWN', r.service.url]),
    )}`,
  );
  const down = rows.filter((r) => !r.healthy).map((r) => r.service.name);
  if (down.length) throw new Error(`services not healthy: ${down.join(', ')}; see \`npm run stack -- logs\``);
}

async function mlflowLinks(cfg: Config, runId: string | undefined): Promise<DemoSummary['mlflow']> {
  try {
    const exp = await new MlflowClient(cfg.mlflow).tracking.getExperimentByName(cfg.mlflow.experiment);
    if (!exp) return {};
    const experimentUrl = `${cfg.mlflow.trackingUri}/#/experiments/${exp.experiment_id}`;
    return { experimentUrl, ...(runId ? { runUrl: `${experimentUrl}/runs/${runId}` } : {}) };
  } catch {
    return {}; // links are a convenience; the demo's result does not depend on them
  }
}

/**
 * Schedules left by an earlier demo would start runs beside this one's and take its records: pause them
 * while the demo runs (an operator's pause is kept). Runs they queued that no worker has picked up are
 * stale ticks (a stream would publish into the demo's batch): those are terminated; the schedules resume
 * at the end. Returns the schedules to resume.
 */
export async function quietSchedules(mlops: MlopsClient): Promise<ScheduleName[]> {
  const paused: ScheduleName[] = [];
  for (const st of await mlops.schedules.describe('all')) {
    if (st.exists && !st.paused) {
      await mlops.schedules.pause(st.name, 'paused by npm run demo while it runs');
      paused.push(st.name);
    }
  }
  for (const w of await mlops.schedules.runningWorkflows('all')) {
    const handle = mlops.temporal.workflow.getHandle(w.workflowId, w.runId);
    // Two events (started, first task scheduled): no worker ever picked it up. Anything further is a run
    // a worker elsewhere is doing, which the demo leaves alone.
    if ((await handle.describe()).historyLength > 2) continue;
    say(`terminating ${w.workflowId}: queued by a schedule while no worker was up`);
    await handle
      .terminate('stale schedule run, queued while no worker was up; npm run demo resumes the schedule')
      .catch(() => undefined);
  }
  return paused;
}

export async function runDemo(cfg: Config, options: DemoOptions = {}): Promise<DemoSummary> {
  const t0 = Date.now();
  const steps: DemoStep[] = [];
  if (!options.stackIsUp) {
    await timed(
      steps,
      'stack up',
      () => bringStackUp(cfg),
      () => ({ outcome: 'all services healthy' }),
    );
  }
  const mlops = await MlopsClient.connect(cfg, {
    intervals: { streamIntervalMs: cfg.demo.streamIntervalMs, retrainIntervalMs: cfg.demo.retrainIntervalMs },
    schedules: {
      ...(options.scheduleIdPrefix ? { idPrefix: options.scheduleIdPrefix } : {}),
      ...(options.workers?.ioTaskQueue ? { taskQueue: options.workers.ioTaskQueue } : {}),
    },
  });
  let pausedByDemo: ScheduleName[];
  try {
    pausedByDemo = await quietSchedules(mlops);
  } catch (err) {
    await mlops.close();
    throw err;
  }
  const taskQueue = options.workers?.ioTaskQueue;
  const follow = (label: string) => {
    const view = progressView(label);
    return { opts: { onProgress: view.update.bind(view), ...(taskQueue ? { taskQueue } : {}) }, view };
  };
  let started: WorkersHandle | undefined;
  try {
    const workers = await timed(
      steps,
      'workers',
      () => startWorkers(cfg, options.workers),
      (w) => ({ outcome: `polling ${w.io.options.taskQueue} and ${w.training.options.taskQueue}` }),
    );
    started = workers;
    // A crashed worker must end the demo rather than leave it waiting on a workflow forever.
    const crashed = workers.done.then(() => {
      throw new Error('the workers stopped unexpectedly');
    });
    crashed.catch(() => undefined);
    const race = <T>(p: Promise<T>) => Promise.race([p, crashed]);

    const b = follow('bootstrap');
    const boot = await timed(
      steps,
      'bootstrap',
      () => race(mlops.bootstrap({ epochs: cfg.demo.epochs }, b.opts)).finally(() => b.view.stop()),
      (f) => ({
        outcome:
          f.result.status === 'trained'
            ? `trained ${f.result.championVersionId} in ${f.result.epochs.length} epoch(s), test ${(f.result.scores.test.accuracy * 100).toFixed(2)}%`
            : `champion ${f.result.championVersionId} exists, reused`,
        workflow: { id: f.workflowId, runId: f.runId },
      }),
    );
    const championInfo = await new ModelStore(cfg.paths.modelsDir).champion();
    const championBefore = {
      versionId: boot.result.championVersionId,
      reused: boot.result.status === 'champion-exists',
      scores:
        boot.result.status === 'trained'
          ? boot.result.scores
          : championScores(championInfo?.metadata.metrics ?? {}),
    };

    const s = follow('stream');
    const streamed = await timed(
      steps,
      'stream',
      // lagThreshold 0: the demo starts its retrain itself, to show it step by step.
      () =>
        race(mlops.stream(cfg.demo.streamCount, { lagThreshold: 0, ...s.opts })).finally(() => s.view.stop()),
      (f) => ({
        outcome: `published ${f.result.published}, skipped ${f.result.skipped}, lag ${f.result.lag}`,
        workflow: { id: f.workflowId, runId: f.runId },
      }),
    );

    const r = follow('retrain');
    const minRecords = Math.max(1, Math.min(cfg.demo.streamCount, streamed.result.lag));
    const input = {
      minRecords,
      maxRecords: Math.max(minRecords, cfg.stream.retrainMaxRecords),
      maxWaitMs: 5000,
    };
    const retrained = await timed(
      steps,
      'retrain',
      () =>
        race(
          mlops.retrain(input, r.opts).catch(async (err: unknown) => {
            // A schedule of an earlier demo may have started one as soon as the workers came up.
            if (!(err instanceof ClientError && err.kind === 'busy')) throw err;
            say('a scheduled retrain is running; waiting for it, then running the demo retrain');
            await mlops.temporal.workflow
              .getHandle(WORKFLOW_IDS.retrain)
              .result()
              .catch(() => undefined);
            return mlops.retrain(input, r.opts);
          }),
        ).finally(() => r.view.stop()),
      (f) => ({ outcome: `${f.result.decision}`, workflow: { id: f.workflowId, runId: f.runId } }),
    );

    const schedules = await timed(
      steps,
      'schedules',
      async () => {
        await mlops.schedules.ensure('all');
        for (const name of pausedByDemo) await mlops.schedules.unpause(name, 'unpaused by npm run demo');
        pausedByDemo = [];
        return mlops.schedules.describe('all');
      },
      (states) => ({
        outcome: states.map((st) => `${st.name} ${st.paused ? 'paused' : 'active'}`).join(', '),
      }),
    );

    await timed(
      steps,
      'workers stop',
      () => workers.shutdown(),
      () => ({ outcome: 'drained and stopped' }),
    );
    return {
      steps,
      championBefore,
      retrain: retrained.result,
      mlflow: await mlflowLinks(cfg, retrained.result.mlflowRunId),
      schedules: schedulesTable(schedules),
      totalMs: Date.now() - t0,
    };
  } finally {
    await started?.shutdown();
    for (const name of pausedByDemo)
      await mlops.schedules.unpause(name, 'unpaused by npm run demo').catch(() => undefined);
    await mlops.close();
  }
}

async function main(): Promise<void> {
  // The demo prints its own progress; the SDK's notices (e.g. slow workflow tasks while training holds
  // this process's CPU) would only bury it.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const cfg = loadConfig();
  const summary = await runDemo(cfg);
  console.log(`\n${renderDemoSummary(cfg, summary)}`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`[demo] ${e instanceof Error ? e.message : String(e)}`);
      process.exit(exitCodeFor(e) || 1);
    },
  );
}
