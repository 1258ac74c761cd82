/**
 * IO-queue activities: data preparation, the model store, Kafka, the PostgreSQL ledger and MLflow. Each
 * is idempotent: the ledger, the store and MLflow's idempotency tags say what an earlier attempt did.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Config } from '../config';
import { prepareSplits, readManifest, splitManifestPath, streamSamples, type Download } from '../domain/data';
import type { BatchLedger } from '../domain/ledger/port';
import { deadLettersByReason } from '../domain/ledger/batches';
import type { ModelStore } from '../domain/registry/store';
import { publishSamples } from '../domain/stream/publish';
import type { SampleLog } from '../domain/stream/ports';
import { commitUsedOffsets, markBatchesUsed, takeBatches } from '../domain/stream/take-batch';
import {
  logBootstrapRun,
  logRetrainRun,
  retrainRunInput,
  scoreLogOf,
  type TrackingClient,
} from '../domain/tracking';
import { trainingTaskQueue, type Score } from '../shared';
import type { IoActivities, TakeBatchResult } from './contracts';
import { InvalidInputError } from './errors';
import { MANIFEST } from '../domain/exchange/folders';
import {
  ensureLocalVersion,
  sharedDiskExchange,
  syncChampion,
  type Exchange,
} from '../domain/exchange/exchange';
import { runDir } from './run-files';
import type { EvaluationReport } from './training';

export interface IoDeps {
  readonly cfg: Config;
  readonly ledger: BatchLedger;
  /** The samples topic and its consumer group (Kafka). */
  readonly log: SampleLog;
  readonly mlflow: TrackingClient;
  readonly store: ModelStore;
  /** The commit of the code that runs, for lineage ("unknown" outside a checkout). */
  readonly gitCommit: () => Promise<string>;
  /** Fetches MNIST files found nowhere locally. */
  readonly download?: Download;
  /** Overrides the device's training queue (tests with private queues). */
  readonly trainingTaskQueue?: string;
  /** Folders other hosts read or wrote (FILE_EXCHANGE); the shared disk when absent. */
  readonly exchange?: Exchange;
}

/** Heartbeats of takeBatch while it waits on Kafka (its heartbeat timeout is 20 s). */
const TAKE_HEARTBEAT_MS = 5000;

/** Runs `fn` heartbeating every TAKE_HEARTBEAT_MS: a read waits up to maxWaitMs for records. */
async function beating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), TAKE_HEARTBEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** The `source` header of samples published from the stream split. */
const STREAM_SOURCE = 'stream-split';

const mutable = ({ perClassAccuracy, ...s }: Score) => ({
  ...s,
  ...(perClassAccuracy ? { perClassAccuracy: [...perClassAccuracy] } : {}),
});

async function readReport(exchange: Exchange, file: string): Promise<EvaluationReport> {
  try {
    return JSON.parse(await fs.readFile(await exchange.file(file), 'utf8')) as EvaluationReport;
  } catch (err) {
    throw new InvalidInputError(
      `evaluation report ${file} cannot be read (${(err as Error).message}); evaluate the model again`,
    );
  }
}

const misclassifiedOf = (r: EvaluationReport) =>
  r.misclassified.map((d) => ({ ...d, image: new Uint8Array(Buffer.from(d.image, 'base64')) }));

export function createIoActivities(deps: IoDeps): IoActivities {
  const { cfg, ledger, log, mlflow, store } = deps;
  const exchange = deps.exchange ?? sharedDiskExchange();
  const target = { experiment: cfg.mlflow.experiment, registeredModel: cfg.mlflow.registeredModel };
  const manifest = async () => {
    const m = await readManifest(splitManifestPath(cfg.paths.dataDir));
    // Another host prepared the data; the split is a function of the seed, so this host computes its own.
    if (!m && exchange.shared) return (await prepareSplits(cfg, { download: deps.download })).manifest;
    if (!m) throw new InvalidInputError('no split manifest yet: run bootstrap (it prepares the data) first');
    return m;
  };

  // Once per worker (the broker does not auto-create topics); a failure is retried by the next call.
  let topics: Promise<unknown> | undefined;
  const topicsReady = () =>
    (topics ??= log.ensureTopics().catch((err: unknown) => {
      topics = undefined;
      throw err;
    }));

  return {
    async readSettings() {
      return {
        trainingTaskQueue: deps.trainingTaskQueue ?? trainingTaskQueue(cfg.training.device),
        epochs: cfg.training.epochs,
        fineTuneEpochs: cfg.training.fineTuneEpochs,
        batch: {
          minRecords: cfg.stream.retrainMinRecords,
          maxRecords: cfg.stream.retrainMaxRecords,
          maxWaitMs: cfg.stream.retrainMaxWaitMs,
        },
        lagThreshold: cfg.stream.retrainLagThreshold,
        promotion: { minGain: cfg.promotion.minGain, testTolerance: cfg.promotion.testTolerance },
      };
    },

    async prepareData() {
      const p = await prepareSplits(cfg, { download: deps.download });
      return {
        manifestId: p.manifest.id,
        counts: {
          train: p.train.count,
          validation: p.validation.count,
          test: p.test.count,
          stream: p.stream.count,
        },
        manifestWritten: p.manifestWritten,
      };
    },

    async getChampion() {
      // Without a shared disk, another IO worker may have promoted: follow the shared champion first.
      await syncChampion(store, exchange);
      const c = await store.champion();
      if (!c) return null;
      // Checked here, on the IO queue, so a corrupt champion fails the cycle at once (ModelStoreError is
      // non-retryable) instead of as a tfjs load error retried on the training queue.
      await store.assertIntact(c.versionId);
      const { scores, lineage } = c.metadata;
      // Scores taken on other validation and test sets would not compare with the challenger's.
      const current = scores && lineage.splitManifestHash === (await manifest()).id;
      return {
        versionId: c.versionId,
        path: c.path,
        metrics: c.metadata.metrics,
        batchIds: lineage.batchIds,
        hyperparameters: c.metadata.hyperparameters,
        ...(current ? { scores } : {}),
      };
    },

    async storeModelVersion(input) {
      const manifestId = input.manifestId ?? (await manifest()).id;
      const stagedDir = await exchange.folder(input.stagedDir);
      const files = (await fs.readdir(stagedDir)).filter((n) => n !== 'metadata.json' && n !== MANIFEST);
      const stored = await store.storeVersion(
        async (dir) => {
          for (const f of files) await fs.copyFile(path.join(stagedDir, f), path.join(dir, f));
        },
        {
          versionId: input.versionId,
          createdAt: new Date().toISOString(),
          metrics: { ...input.metrics },
          ...(input.scores
            ? { scores: { validation: mutable(input.scores.validation), test: mutable(input.scores.test) } }
            : {}),
          hyperparameters: { ...input.hyperparameters },
          seed: cfg.training.seed,
          lineage: {
            splitManifestHash: manifestId,
            batchIds: [...input.batchIds],
            parentVersionId: input.parentVersionId,
          },
          gitCommit: await deps.gitCommit(),
        },
      );
      await exchange.publishFolder(stored.path);
      await ledger.recordModelVersion({
        versionId: input.versionId,
        parentVersionId: input.parentVersionId,
        retrainCycleId: input.retrainCycleId,
        batchIds: input.batchIds,
        splitManifestSha256: manifestId,
      });
      return { versionId: input.versionId, path: stored.path, created: stored.created };
    },

    async promoteModel({ versionId }) {
      // Stored by whichever IO worker ran storeModelVersion: fetched here when that was another host.
      await ensureLocalVersion(store, exchange, versionId);
      const promoted = await store.promote(versionId);
      await exchange.publishChampion(versionId);
      return promoted;
    },

    async publishStreamSamples({ count, replay }) {
      if (!(Number.isInteger(count) && count > 0)) {
        throw new InvalidInputError(`count must be a positive integer, got ${count}`);
      }
      const prepared = await prepareSplits(cfg, { download: deps.download });
      await topicsReady();
      const all = streamSamples(prepared);
      const ctx = Context.current();
      // A retry publishes the span of the split the first attempt chose (its heartbeat names it):
      // choosing the next `count` unpublished ids again would send up to `count` more after a partly
      // published attempt. Ids in the span that are out already are skipped chunk by chunk as before.
      const span = (ctx.info.heartbeatDetails as { span?: [number, number] } | undefined)?.span;
      let chosen: typeof all;
      if (span && !replay) chosen = all.slice(span[0], span[1] + 1);
      else {
        const published = await ledger.publishedAmong(all.map((s) => s.id));
        // Split order, skipping what is out already; a replay sends from the start of the split again.
        chosen = (replay ? all : all.filter((s) => !published.has(s.id))).slice(0, count);
      }
      const position = new Map(all.map((s, i) => [s.id, i]));
      const first = chosen.length ? position.get(chosen[0]!.id)! : 0;
      const last = chosen.length ? position.get(chosen.at(-1)!.id)! : -1;
      const producer = await log.openPublisher();
      try {
        const r = await publishSamples({ ledger, producer }, chosen, {
          topic: cfg.kafka.topic,
          source: STREAM_SOURCE,
          chunkSize: cfg.kafka.publishChunk,
          replay,
          onChunk: (p) => ctx.heartbeat({ ...p, span: [first, last] }),
        });
        const after = await ledger.publishedAmong(all.map((s) => s.id));
        return { ...r, remaining: all.length - after.size };
      } finally {
        await producer.disconnect();
      }
    },

    async consumerLag() {
      await topicsReady();
      return { lag: (await log.lag()).total };
    },

    takeBatch: ({ minRecords, maxRecords, maxWaitMs }) =>
      beating<TakeBatchResult>(async () => {
        await topicsReady();
        const taken = await takeBatches(log, ledger, {
          topic: cfg.kafka.topic,
          deadLetterTopic: cfg.kafka.deadLetterTopic,
          groupId: cfg.kafka.consumerGroup,
          dataDir: cfg.paths.dataDir,
          minRecords,
          maxRecords,
          maxWaitMs,
          maxRecordBytes: cfg.kafka.maxRecordBytes,
        });
        // Too few waiting, or nothing arrived within maxWaitMs after all: nothing was recorded either.
        if (!taken.batches.length) return { status: 'too-few', available: taken.waiting };
        const replayFiles = (await ledger.usedBatches(cfg.kafka.topic)).map((b) => b.filePath);
        // Every batch goes back, even one of pure poison: the cycle marks it used so the offsets move past
        // it. Holding it back (as before) left it pending forever and blocked the stream behind it.
        return {
          status: 'taken',
          batchIds: taken.batches.map((b) => b.id),
          files: taken.batches.filter((b) => b.validCount > 0).map((b) => b.filePath),
          consumed: taken.batches.reduce((n, b) => n + b.consumedCount, 0),
          valid: taken.batches.reduce((n, b) => n + b.validCount, 0),
          deadLettered: taken.batches.reduce((n, b) => n + b.deadLetteredCount, 0),
          deadLettersByReason: deadLettersByReason(taken.batches),
          resumed: taken.reused,
          replayFiles,
        };
      }),

    async logBootstrapRun(input) {
      const report = await readReport(exchange, input.reportFile);
      await ensureLocalVersion(store, exchange, input.versionId);
      const run = await logBootstrapRun(mlflow, target, {
        key: input.key,
        workflowId: Context.current().info.workflowExecution?.workflowId ?? input.key,
        gitCommit: await deps.gitCommit(),
        version: { id: input.versionId, dir: store.versionPath(input.versionId) },
        hyperparameters: input.hyperparameters,
        params: input.params,
        epochs: input.epochs,
        evaluation: {
          validation: scoreLogOf(input.scores.validation),
          test: { ...scoreLogOf(input.scores.test), confusion: report.confusion },
        },
        misclassified: misclassifiedOf(report),
        manifest: await manifest(),
        ...(cfg.paths.mnistDir ? { idxDir: cfg.paths.mnistDir } : {}),
      });
      return {
        runId: run.runId,
        ...(run.registeredVersion ? { registeredVersion: run.registeredVersion } : {}),
      };
    },

    async logRetrainRun(input) {
      // An attempt scheduled before the input was the cycle's outcome named the cycle `key`.
      const outcome = input.cycleId ? input : { ...input, cycleId: (input as { key?: string }).key ?? '' };
      const report = outcome.reportFile ? await readReport(exchange, outcome.reportFile) : undefined;
      if (outcome.promotedVersionId) await ensureLocalVersion(store, exchange, outcome.promotedVersionId);
      const rows = await Promise.all((outcome.batchIds ?? []).map((id) => ledger.getBatch(id)));
      const run = await logRetrainRun(
        mlflow,
        target,
        retrainRunInput(outcome, {
          workflowId: Context.current().info.workflowExecution?.workflowId ?? outcome.cycleId,
          gitCommit: await deps.gitCommit(),
          replayShare: cfg.training.replayShare,
          batches: rows.filter((r) => r !== undefined),
          ...(report ? { confusion: report.confusion } : {}),
          ...(outcome.promotedVersionId
            ? { promotedVersionDir: store.versionPath(outcome.promotedVersionId) }
            : {}),
        }),
      );
      return {
        runId: run.runId,
        ...(run.registeredVersion ? { registeredVersion: run.registeredVersion } : {}),
      };
    },

    async recordCycle(input) {
      await ledger.recordRetrainCycle({
        id: input.cycleId,
        decision: input.decision,
        reason: input.reason,
        championBefore: input.championBefore,
        championAfter: input.championAfter,
        metrics: { ...input.metrics },
      });
    },

    async markBatchesUsed({ batchIds, cycleId }) {
      await markBatchesUsed(ledger, cfg.paths.dataDir, batchIds, cycleId, {
        snapshotsElsewhere: exchange.shared,
      });
    },

    async commitOffsets() {
      const committed = await commitUsedOffsets(log, ledger);
      return { committed: Object.fromEntries(Object.entries(committed).map(([p, o]) => [String(p), o])) };
    },

    async cleanUpRun({ key }) {
      await fs.rm(runDir(cfg.paths.dataDir, key), { recursive: true, force: true });
      // Without a shared disk, copies this host fetched for earlier runs (on other IO hosts' cycles) too.
      await exchange.pruneCopies(key);
    },
  };
}
