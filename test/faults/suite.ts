/** What every case gets: the stack, the two worker processes, clients, and the running tallies. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../src/adapters/kafka/client';
import { MlflowClient } from '../../src/adapters/mlflow';
import type { Config } from '../../src/config';
import { Ledger } from '../../src/adapters/pg/ledger';
import type { RetrainInput, RetrainResult, StreamNewDataResult, WorkflowProgress } from '../../src/shared';
import { checkInvariants, type InvariantResult } from './invariants';
import { Pipeline } from './pipeline';
import type { SuiteStack } from './stack-control';
import { RequestLog } from './requests';
import type { SuiteEnv } from './suite-env';
import { waitFor } from './wait';
import { WorkerProcess } from './worker-process';

export class CaseFailure extends Error {
  override name = 'CaseFailure';
}

/** Throws a CaseFailure naming what was expected: a case fails on its first broken expectation. */
export function expectThat(ok: boolean, what: string): asserts ok {
  if (!ok) throw new CaseFailure(what);
}

export interface Suite {
  readonly env: SuiteEnv;
  readonly cfg: Config;
  readonly stack: SuiteStack;
  readonly io: WorkerProcess;
  readonly training: WorkerProcess;
  readonly pipeline: Pipeline;
  readonly ledger: Ledger;
  readonly kafka: Kafka;
  readonly mlflow: MlflowClient;
  /** What the suite asked to publish: the truth `lost` and `duplicated` are judged against. */
  readonly requests: RequestLog;
  /** Batch ids each finished retrain reported, by retrain workflow id. */
  readonly trained: Map<string, readonly string[]>;
  /** Every retrain workflow the suite started (directly or through a stream workflow). */
  readonly retrains: Set<string>;
  /** This case's injections, for the recovery times. */
  injections: Injection[];
  faults: number;
  poisonRouted: number;
  say(message: string): void;
}

export async function openClients(cfg: Config) {
  return {
    pipeline: await Pipeline.connect(cfg),
    ledger: await Ledger.open(cfg.postgres),
    kafka: createKafka(cfg.kafka, `${cfg.kafka.clientId}-faults`),
    mlflow: new MlflowClient(cfg.mlflow),
  };
}

/** A suite over a stack that is up: the two workers (not started yet), clients and empty tallies. */
export async function createSuite(
  env: SuiteEnv,
  stack: SuiteStack,
  say: (m: string) => void,
): Promise<Suite> {
  const { cfg } = env;
  return {
    env,
    cfg,
    stack,
    io: new WorkerProcess('io', env.env, env.logsDir),
    training: new WorkerProcess('training', env.env, env.logsDir),
    ...(await openClients(cfg)),
    requests: new RequestLog(cfg),
    trained: new Map(),
    retrains: new Set(),
    injections: [],
    faults: 0,
    poisonRouted: 0,
    say,
  };
}

/** One injected fault: when, into which workflows' run, and which activity noticed it. */
export interface Injection {
  readonly n: number;
  readonly what: string;
  readonly at: number;
  readonly workflows: readonly string[];
  /** Set by cases outside the workflows (the inference server): when service was back. */
  recoveredAt?: number;
  /** Activity type whose failed attempt showed the pipeline noticed; recovery is its next success. */
  noticedBy?: string;
  /** How the injection was seen to take effect (pid gone, port closed). */
  effect?: string;
}

/** Counts a fault, says what it is, and remembers it for the case's recovery time. */
export function inject(s: Suite, what: string, workflows: readonly string[]): Injection {
  s.faults += 1;
  s.say(`FAULT ${s.faults}: ${what}`);
  const i: Injection = { n: s.faults, what, at: Date.now(), workflows };
  s.injections.push(i);
  return i;
}

/** Records the evidence that an injection took effect. */
export function tookEffect(s: Suite, i: Injection, effect: string): void {
  i.effect = effect;
  s.say(`  fault ${i.n} took effect: ${effect}`);
}

/** Waits until an activity of the workflow is pending with a failed attempt (attempt ≥ 2 or a failure). */
export async function waitNoticed(
  s: Suite,
  i: Injection,
  workflowId: string,
  pred: (a: { type: string; attempt: number; lastFailure?: string }) => boolean = () => true,
  timeoutMs = 180_000,
): Promise<{ type: string; attempt: number; lastFailure?: string }> {
  const hit = await waitFor(
    `${workflowId}: an activity failing on fault ${i.n} (${i.what})`,
    async () =>
      (await s.pipeline.pendingActivities(workflowId)).find(
        (a) => (a.attempt >= 2 || a.lastFailure !== undefined) && pred(a),
      ),
    { timeoutMs, intervalMs: 250 },
  );
  i.noticedBy = hit.type;
  s.say(
    `  fault ${i.n} noticed: ${hit.type} attempt ${hit.attempt} (${hit.lastFailure?.slice(0, 80) ?? 'retrying'})`,
  );
  return hit;
}

/** Asks the stream workflow for `count` new samples and logs them as requested. */
export function requestStream(s: Suite, count: number): void {
  s.requests.stream(count);
}

export async function publishedIds(s: Suite): Promise<Set<string>> {
  const { rows } = await s.ledger.pool.query<{ sample_id: string }>(
    'SELECT sample_id FROM published_samples WHERE topic = $1',
    [s.cfg.kafka.topic],
  );
  return new Set(rows.map((r) => r.sample_id));
}

export async function invariants(s: Suite): Promise<InvariantResult> {
  // A case that failed before reading its retrain's result still leaves the batches that retrain trained.
  for (const id of s.retrains) {
    if (s.trained.has(id)) continue;
    const d = await s.pipeline
      .handle(id)
      .describe()
      .catch(() => undefined);
    if (d?.status.name !== 'COMPLETED') continue;
    const r = (await s.pipeline.handle(id).result()) as RetrainResult;
    if (r.batchIds?.length) s.trained.set(id, r.batchIds);
  }
  return checkInvariants(
    { cfg: s.cfg, ledger: s.ledger, kafka: s.kafka, mlflow: s.mlflow },
    { requests: s.requests, trained: s.trained },
  );
}

/** Publishes `count` new samples; the stream workflow starts the retrain once they are all lag. */
export async function streamWithRetrain(
  s: Suite,
  name: string,
  count: number,
  retrain: RetrainInput = {},
): Promise<{ streamId: string; retrainId: string }> {
  const streamId = `stream-${name}-${s.env.tag}`;
  const retrainId = `retrain-${name}-${s.env.tag}`;
  requestStream(s, count);
  s.retrains.add(retrainId);
  await s.pipeline.start('streamNewDataWorkflow', streamId, [
    { count, lagThreshold: count, retrainWorkflowId: retrainId, retrain },
  ]);
  return { streamId, retrainId };
}

export async function streamResult(s: Suite, streamId: string): Promise<StreamNewDataResult> {
  return s.pipeline.handle(streamId).result() as Promise<StreamNewDataResult>;
}

/** Waits for the retrain the stream workflow started (it exists once the stream saw the lag). */
export async function retrainResult(
  s: Suite,
  retrainId: string,
  timeoutMs = 600_000,
): Promise<RetrainResult> {
  await waitFor(
    `retrain ${retrainId} to start`,
    () =>
      s.pipeline
        .handle(retrainId)
        .describe()
        .then(() => true),
    {
      timeoutMs: 300_000,
      intervalMs: 500,
    },
  );
  const timer = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new CaseFailure(`retrain ${retrainId} did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    ).unref(),
  );
  const r = await Promise.race([s.pipeline.handle(retrainId).result() as Promise<RetrainResult>, timer]);
  if (r.batchIds?.length) s.trained.set(retrainId, r.batchIds);
  return r;
}

/** Polls the workflow's progress query until `pred` holds. */
export function waitForStage(
  s: Suite,
  workflowId: string,
  what: string,
  pred: (p: WorkflowProgress) => boolean,
  timeoutMs = 300_000,
): Promise<WorkflowProgress> {
  return waitFor(
    `${workflowId}: ${what}`,
    async () => {
      const p = await s.pipeline.progress(workflowId);
      return pred(p) ? p : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Checkpoint folders a training activity of this run wrote: `epoch-N` names, per run key. */
export async function checkpoints(s: Suite, workflowId: string, activity: string): Promise<number[]> {
  const runs = path.join(s.cfg.paths.dataDir, 'runs');
  const out: number[] = [];
  const keys = (await fs.readdir(runs).catch(() => [] as string[])).filter((k) =>
    k.startsWith(`${workflowId}-`),
  );
  for (const key of keys) {
    const dir = path.join(runs, key, 'checkpoints', activity);
    for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
      const m = /^epoch-(\d+)$/.exec(n);
      if (m && (await fs.stat(path.join(dir, n, 'model.json')).catch(() => undefined)))
        out.push(Number(m[1]));
    }
  }
  return out.sort((a, b) => a - b);
}
