/** Opens what the inference server uses — TensorFlow, the champion, Kafka — and closes it in reverse. */
import type { Config } from '../config';
import { createKafka } from '../adapters/kafka/client';
import { ensurePredictionsTopic, kafkaPredictionSink } from '../adapters/kafka/prediction-sink';
import { modelStoreChampion } from '../adapters/model-store-champion';
import { loadTf } from '../adapters/tf-backend';
import { ModelStore } from '../domain/registry/store';
import { syncChampion } from '../domain/exchange/exchange';
import { openExchange } from '../adapters/exchange';
import { ChampionFollower, NoChampionError, type FollowerLog } from '../domain/serving/champion';
import { PredictionLog } from '../domain/serving/prediction-log';
import { Predictor } from '../domain/serving/predictor';
import { storeModelLoader } from '../domain/serving/tf-model';
import type { ServeServices } from './server';

export interface OpenedServe {
  readonly services: ServeServices & { readonly predictor: Predictor; readonly predictionLog: PredictionLog };
  /** The follower, for tests that want to wait for a swap. */
  readonly follower: ChampionFollower;
  /** Stops following, flushes the prediction log (up to flushMs), disconnects. */
  close(flushMs?: number): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export async function openServeServices(cfg: Config, logger: Logger = console): Promise<OpenedServe> {
  const store = new ModelStore(cfg.paths.modelsDir);
  // Without a shared disk this host's store follows the shared champion (fetched and checked first).
  const exchange = openExchange(cfg);
  const sync = () =>
    syncChampion(store, exchange).catch((err: Error) =>
      logger.warn(`could not follow the shared champion, serving the local one: ${err.message}`),
    );
  await sync();
  // Checked before loading TensorFlow: a missing champion should not wait for the native library.
  if (!(await store.champion())) throw new NoChampionError(cfg.paths.modelsDir);
  const tf = loadTf(cfg.training.device); // throws unless the backend is native 'tensorflow'
  const loader = storeModelLoader(tf, store);
  const log: FollowerLog = {
    swapped: (e) =>
      logger.info(
        `serving ${e.to} (was ${e.from ?? 'none'}; loaded and warmed up in ${Math.round(e.loadMs)} ms)`,
      ),
    loadFailed: (v, err) =>
      logger.warn(
        `champion ${v} could not be loaded, still serving the previous one: ${(err as Error).message}`,
      ),
  };
  const follower = new ChampionFollower(
    modelStoreChampion(store, cfg.serve.pollMs, exchange.shared ? sync : undefined),
    loader,
    log,
    cfg.paths.modelsDir,
  );
  await follower.start();

  const kafka = createKafka(cfg.kafka, `${cfg.kafka.clientId}-serve`);
  const topic = cfg.serve.predictionsTopic;
  // Ensured now, but not awaited: the server answers while Kafka is down (the sink ensures it again).
  ensurePredictionsTopic(kafka, topic).then(
    (created) => created && logger.info(`created Kafka topic ${topic}`),
    (err: unknown) =>
      logger.warn(
        `Kafka topic ${topic} not ensured yet (${(err as Error).message}); predictions are buffered`,
      ),
  );
  const sink = kafkaPredictionSink(kafka, topic);
  const predictionLog = new PredictionLog(sink, {
    capacity: cfg.serve.predictionLogBuffer,
    batchSize: cfg.serve.predictionLogBatch,
  });
  const predictor = new Predictor(follower, loader, predictionLog, {
    maxBatch: cfg.serve.maxBatch,
    maxDelayMs: cfg.serve.maxDelayMs,
    versionCache: cfg.serve.versionCache,
  });
  return {
    services: { cfg, predictor, predictionLog, store },
    follower,
    async close(flushMs = 5000) {
      await follower.close();
      await predictor.close();
      await predictionLog.close(flushMs);
      await sink.disconnect().catch(() => undefined);
    },
  };
}
