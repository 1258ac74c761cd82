/** Opens what the activities talk to, and closes it again in reverse order. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { REPO_ROOT, type Config } from '../config';
import { downloadVerified } from '../adapters/download';
import { gitCommit } from '../adapters/git';
import { createKafka } from '../adapters/kafka/client';
import { kafkaSampleLog } from '../adapters/kafka/sample-log';
import { MlflowClient } from '../adapters/mlflow';
import { Ledger } from '../adapters/pg/ledger';
import { temporalConnectionOptions } from '../adapters/temporal-connection';
import { loadTf } from '../adapters/tf-backend';
import { ModelStore } from '../domain/registry/store';
import { loadBatches } from '../domain/stream/batch-source';
import { batchIdOfSnapshot } from '../domain/stream/batch-snapshot';
import { openExchange } from '../adapters/exchange';
import { syncChampion } from '../domain/exchange/exchange';

/** How often an IO worker without a shared disk brings its champion view up to the shared champion. */
const CHAMPION_SYNC_MS = 5_000;
import type { IoDeps } from '../activities/io';
import type { TrainingDeps } from '../activities/training';
import { TRAINING_PROGRESS_SIGNAL } from '../shared';

export interface Opened<T> {
  readonly deps: T;
  close(): Promise<void>;
}

function sampleLogOf(cfg: Config) {
  return kafkaSampleLog(createKafka(cfg.kafka), {
    topic: cfg.kafka.topic,
    deadLetterTopic: cfg.kafka.deadLetterTopic,
    groupId: cfg.kafka.consumerGroup,
    partitions: cfg.kafka.topicPartitions,
  });
}

export async function openIoDeps(cfg: Config, trainingTaskQueue?: string): Promise<Opened<IoDeps>> {
  // Migrates the schema on open (under an advisory lock), so a fresh database just works.
  const ledger = await Ledger.open(cfg.postgres);
  let commit: Promise<string> | undefined;
  const log = sampleLogOf(cfg);
  const store = new ModelStore(cfg.paths.modelsDir);
  const exchange = openExchange(cfg);
  // Without a shared disk, this host's champion view follows the shared champion between cycles too.
  const follow = exchange.shared
    ? setInterval(() => void syncChampion(store, exchange).catch(() => undefined), CHAMPION_SYNC_MS)
    : undefined;
  follow?.unref();
  return {
    deps: {
      cfg,
      ledger,
      log,
      mlflow: new MlflowClient(cfg.mlflow),
      store,
      // The code this worker runs was loaded at its start: asked once, not at every logged run.
      gitCommit: () => (commit ??= gitCommit(REPO_ROOT)),
      download: downloadVerified,
      exchange,
      ...(trainingTaskQueue ? { trainingTaskQueue } : {}),
    },
    close: async () => {
      clearInterval(follow);
      await log.close();
      await ledger.close();
    },
  };
}

/** Native TensorFlow for the device, and a client that signals training progress to workflows. */
export async function openTrainingDeps(cfg: Config): Promise<Opened<TrainingDeps>> {
  const tf = loadTf(cfg.training.device);
  const connection = await Connection.connect(temporalConnectionOptions(cfg.temporal));
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  const exchange = openExchange(cfg);
  // Without a shared disk, batches are rebuilt from Kafka and checked against the ledger.
  const batches = exchange.shared
    ? { ledger: await Ledger.open(cfg.postgres), log: sampleLogOf(cfg) }
    : undefined;
  return {
    deps: {
      cfg,
      tf,
      download: downloadVerified,
      exchange,
      ...(batches
        ? {
            loadBatches: (files: readonly string[]) =>
              loadBatches(
                {
                  ...batches,
                  dataDir: cfg.paths.dataDir,
                  maxRecordBytes: cfg.kafka.maxRecordBytes,
                },
                files.map(batchIdOfSnapshot),
              ),
          }
        : {}),
      progressSink: async ({ workflowId, runId }, progress) => {
        await client.workflow.getHandle(workflowId, runId).signal(TRAINING_PROGRESS_SIGNAL, progress);
      },
    },
    close: async () => {
      await batches?.log.close();
      await batches?.ledger.close();
      await connection.close();
    },
  };
}

export function connectWorker(cfg: Config): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(cfg.temporal));
}
