/**
 * What the web app's routes need from the pipeline, behind one port so the routes can be tested with a
 * fake: publish a labelled sample (the project's publisher: record format v1, ledger dedupe), follow it,
 * read the dashboard. The real one connects lazily, so the server starts (and serves predictions) while
 * PostgreSQL or Kafka is still down, and retries the connection on the next request.
 */
import type { Config } from '../../config';
import { createKafka } from '../../adapters/kafka/client';
import { openProducer } from '../../adapters/kafka/producer';
import type { ProduceAck, RecordPublisher } from '../../domain/stream/ports';
import { ensureTopics } from '../../adapters/kafka/topics';
import { MlflowClient } from '../../adapters/mlflow';
import { Ledger } from '../../adapters/pg/ledger';
import { ModelStore } from '../../domain/registry/store';
import { publishSamples } from '../../domain/stream/publish';
import type { Dashboard, SampleView, SubmittedSample } from './api-types';
import { readDashboard } from './dashboard';
import { cycleLinks, type RunIndex } from './links';

/** The `source` header of samples people labelled in the web app. */
export const WEB_SOURCE = 'web';
/** How long a submission waits for the broker's acknowledgement before it answers 503. */
export const PUBLISH_TIMEOUT_MS = 10_000;
/** Dashboard reads at most this often, however many pages poll it. */
const DASHBOARD_TTL_MS = 2000;
const RUN_INDEX_TTL_MS = 15_000;

export interface NewSample {
  readonly id: string;
  readonly label: number;
  readonly pixels: Uint8Array;
  /** What the champion in service predicted for the pixels; null when none is in service. */
  readonly prediction: { readonly digit: number; readonly versionId: string } | null;
}

export interface WebBackend {
  submit(sample: NewSample): Promise<SubmittedSample>;
  sample(id: string): Promise<SampleView | undefined>;
  dashboard(): Promise<Dashboard>;
  close(): Promise<void>;
}

/** A dependency is unreachable: the route answers 503 with this message. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/** fn's result, shared by concurrent callers; a failure is not kept, so the next call tries again. */
function lazy<T>(fn: () => Promise<T>): { get(): Promise<T>; peek(): Promise<T> | undefined } {
  let p: Promise<T> | undefined;
  return {
    get() {
      p ??= fn().catch((e: unknown) => {
        p = undefined;
        throw e;
      });
      return p;
    },
    peek: () => p,
  };
}

/** Like lazy, but the value expires after ttlMs. */
function cached<T>(ttlMs: number, fn: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let p: Promise<T> | undefined;
  return () => {
    if (!p || Date.now() - at > ttlMs) {
      at = Date.now();
      p = fn().catch((e: unknown) => {
        p = undefined;
        throw e;
      });
    }
    return p;
  };
}

/**
 * fn's last result at once, refreshed in the background once older than ttlMs: a slow source (MLflow's
 * search takes ~2 s behind its basic-auth app) does not hold up every page refresh. Until a first result
 * exists the caller waits; a failure is remembered for ttlMs, so a source that is down is not asked again
 * on every call.
 */
export function refreshing<T>(ttlMs: number, fn: () => Promise<T>): () => Promise<T> {
  let last: { value: T; at: number } | undefined;
  let failed: { error: unknown; at: number } | undefined;
  let pending: Promise<T> | undefined;
  const refresh = () =>
    (pending ??= fn()
      .then((value) => {
        last = { value, at: Date.now() };
        failed = undefined;
        return value;
      })
      .catch((error: unknown) => {
        failed = { error, at: Date.now() };
        throw error;
      })
      .finally(() => {
        pending = undefined;
      }));
  return () => {
    const now = Date.now();
    if (last) {
      if (now - last.at > ttlMs && (!failed || now - failed.at > ttlMs)) refresh().catch(() => undefined);
      return Promise.resolve(last.value);
    }
    if (failed && now - failed.at <= ttlMs) return Promise.reject(failed.error);
    return refresh();
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(what)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function openWebBackend(cfg: Config): WebBackend {
  const store = new ModelStore(cfg.paths.modelsDir);
  const kafka = createKafka(cfg.kafka, `${cfg.kafka.clientId}-web`);
  // Links are a convenience: a slow MLflow must not hold the dashboard for MLFLOW_REQUEST_TIMEOUT_S.
  const mlflow = new MlflowClient({
    ...cfg.mlflow,
    requestTimeoutMs: Math.min(5000, cfg.mlflow.requestTimeoutMs),
  });
  const ledger = lazy(() => Ledger.open(cfg.postgres));
  const producer = lazy(async () => {
    // The broker does not create topics: before the first stream the samples topic may not exist yet.
    await ensureTopics(kafka, {
      topic: cfg.kafka.topic,
      deadLetterTopic: cfg.kafka.deadLetterTopic,
      partitions: cfg.kafka.topicPartitions,
    });
    return openProducer(kafka);
  });
  const ledgerOr503 = () =>
    ledger.get().catch((e: unknown) => {
      throw new UnavailableError(
        `the ledger (PostgreSQL at ${cfg.postgres.host}:${cfg.postgres.port}) cannot be reached: ${message(e)}; ` +
          'start the stack with `npm run stack -- up`',
      );
    });

  const runIndex = refreshing(RUN_INDEX_TTL_MS, async (): Promise<RunIndex> => {
    const exp = await mlflow.tracking.getExperimentByName(cfg.mlflow.experiment);
    if (!exp) throw new Error(`MLflow has no experiment ${cfg.mlflow.experiment} yet`);
    const { runs } = await mlflow.tracking.searchRuns({
      experiment_ids: [exp.experiment_id],
      filter: "tags.kind = 'retrain'",
      run_view_type: 'ACTIVE_ONLY',
      order_by: ['attributes.start_time DESC'],
      max_results: 500,
    });
    const byCycle = new Map<string, string>();
    for (const run of runs) {
      const cycleId = run.data.tags?.find((t) => t.key === 'cycle_id')?.value;
      if (cycleId && !byCycle.has(cycleId)) byCycle.set(cycleId, run.info.run_id);
    }
    return { experimentId: exp.experiment_id, runs: byCycle };
  });

  const dashboard = cached(DASHBOARD_TTL_MS, () =>
    readDashboard({ cfg, store, ledger: ledgerOr503, runIndex }),
  );

  return {
    async submit(s) {
      const l = await ledgerOr503();
      const p = await producer.get().catch((e: unknown) => {
        throw new UnavailableError(
          `Kafka at ${cfg.kafka.brokers.join(',')} cannot be reached: ${message(e)}; start the stack with \`npm run stack -- up\``,
        );
      });
      // The project's publisher, with the broker's acknowledgement kept: it says where the record went.
      const acks: ProduceAck[] = [];
      const acked: RecordPublisher = {
        async send(topic, messages) {
          const a = await p.send(topic, messages);
          acks.push(...a);
          return a;
        },
        disconnect: async () => undefined,
      };
      await withTimeout(
        publishSamples({ ledger: l, producer: acked }, [{ id: s.id, label: s.label, image: s.pixels }], {
          topic: cfg.kafka.topic,
          source: WEB_SOURCE,
          chunkSize: 1,
        }),
        PUBLISH_TIMEOUT_MS,
        `Kafka did not acknowledge the sample within ${PUBLISH_TIMEOUT_MS / 1000} s; nothing was recorded, try again`,
      );
      const ack = acks[0];
      if (!ack) throw new Error(`the broker acknowledged ${s.id} without an offset`);
      const feedback = {
        sampleId: s.id,
        label: s.label,
        predicted: s.prediction?.digit ?? null,
        modelVersion: s.prediction?.versionId ?? null,
        topic: cfg.kafka.topic,
        partition: ack.partition,
        offset: ack.baseOffset,
      };
      await l.recordWebFeedback(feedback);
      const { sampleId, ...rest } = feedback;
      return { id: sampleId, ...rest };
    },

    async sample(id) {
      const trail = await (await ledgerOr503()).sampleTrail(id);
      if (!trail) return undefined;
      const { sampleId, submittedAt, ...f } = trail.feedback;
      const c = trail.cycle;
      const index = c ? await runIndex().catch(() => null) : null;
      return {
        id: sampleId,
        ...f,
        submittedAt: submittedAt.toISOString(),
        batch: trail.batch,
        cycle: c && {
          ...cycleLinks(cfg, c.id, index, c.metrics.mlflow_run_id),
          decision: c.decision,
          reason: c.reason,
          championAfter: c.championAfter,
          recordedAt: c.recordedAt.toISOString(),
        },
      };
    },

    dashboard,

    async close() {
      await Promise.all([
        producer.peek()?.then(
          (p) => p.disconnect(),
          () => undefined,
        ),
        ledger.peek()?.then(
          (l) => l.close(),
          () => undefined,
        ),
      ]);
    },
  };
}
