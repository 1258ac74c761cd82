/**
 * Training-queue activities: train, fine-tune and evaluate with native TensorFlow. They heartbeat every
 * batch, stop at the next batch when Temporal cancels them, save a checkpoint after every epoch and, on
 * a retry, resume from the checkpoint named in the last heartbeat instead of starting over.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { Config } from '../config';
import { readFileIfExists, writeFileDurable } from '../durable-file';
import { concatSets, prepareSplits, type Download, type PreparedData } from '../domain/data';
import type { MnistSet } from '../domain/data/types';
import { compileCnn, createCnn } from '../domain/model/architecture';
import { evaluate, predict, type Evaluation } from '../domain/model/evaluate';
import { fineTune } from '../domain/model/fine-tune';
import {
  fineTuneHyperparameters,
  hyperparametersFromConfig,
  type Hyperparameters,
} from '../domain/model/hyperparameters';
import { loadModel, saveModel } from '../domain/model/persistence';
import type { LayersModel, Tf } from '../domain/model/tf';
import { train, type EpochMetrics, type TrainResult } from '../domain/model/train';
import { batchIdOfSnapshot, readBatchSnapshot, type LoadedSnapshot } from '../domain/stream/batch-snapshot';
import { FedCounter } from '../domain/cycle/training-evidence';
import { pickMisclassified } from '../domain/tracking';
import type { EpochRecord, Score } from '../shared';
import type { StagedModel, TrainingActivities, TrainingHeartbeat } from './contracts';
import { InvalidInputError } from './errors';
import { sharedDiskExchange, type Exchange } from '../domain/exchange/exchange';
import { runPaths } from './run-files';
import { TrainingReporter, type ProgressSink } from './training-progress';

export interface TrainingDeps {
  readonly cfg: Config;
  readonly tf: Tf;
  /** Sends training figures to the workflow (a Temporal client signal); none in unit tests. */
  readonly progressSink?: ProgressSink;
  /** Splits, loaded once per worker process; tests pass small ones. */
  readonly data?: () => Promise<Pick<PreparedData, 'train' | 'validation' | 'test'>>;
  /** Fetches MNIST files found nowhere locally (the download port). */
  readonly download?: Download;
  /** Folders other hosts read or wrote (FILE_EXCHANGE); the shared disk when absent. */
  readonly exchange?: Exchange;
  /** Batches' samples by their snapshot file names, in order; the files themselves when absent (shared disk). */
  readonly loadBatches?: (files: readonly string[]) => Promise<LoadedSnapshot[]>;
}

/** What evaluateOnSplits writes for the MLflow run's plots (images as base64). */
export interface EvaluationReport {
  readonly confusion: readonly (readonly number[])[];
  readonly misclassified: { index: number; actual: number; predicted: number; image: string }[];
}

const toScore = (e: Evaluation): Score => ({
  accuracy: e.accuracy,
  loss: e.loss,
  count: e.count,
  perClassAccuracy: e.perClassAccuracy.map((a) => (Number.isNaN(a) ? null : a)),
});

const toRecord = (m: EpochMetrics): EpochRecord => ({
  epoch: m.epoch,
  loss: m.loss,
  accuracy: m.accuracy,
  seconds: m.seconds,
  ...(m.valLoss !== undefined ? { valLoss: m.valLoss } : {}),
  ...(m.valAccuracy !== undefined ? { valAccuracy: m.valAccuracy } : {}),
});

/** The training evidence saved beside a checkpoint folder. */
const fedFile = (checkpointDir: string) => `${checkpointDir}.fed.json`;

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Where a retry resumes: the later of the heartbeat's checkpoint and the newest complete checkpoint on
 * disk. The disk matters because the SDK throttles heartbeats (up to a minute): a worker killed soon
 * after an epoch's checkpoint may never have sent the heartbeat naming it. Checkpoints are renamed into
 * place whole, so an `epoch-N` folder with a model.json is complete. Without a shared disk, the newest
 * checkpoint published to the shared store, wherever the killed worker ran.
 */
async function resumePoint(
  details: TrainingHeartbeat | undefined,
  checkpointsDir: string,
  exchange: Exchange,
): Promise<{ epochsCompleted: number; checkpointDir: string } | undefined> {
  if (exchange.shared) {
    const newest = (await exchange.publishedEpochs(checkpointsDir)).at(-1);
    if (newest === undefined) return undefined;
    const dir = await exchange.folder(path.join(checkpointsDir, `epoch-${newest}`));
    return { epochsCompleted: newest, checkpointDir: dir };
  }
  let best: { epochsCompleted: number; checkpointDir: string } | undefined;
  if (
    details?.checkpointDir &&
    details.epochsCompleted > 0 &&
    (await exists(path.join(details.checkpointDir, 'model.json')))
  ) {
    best = { epochsCompleted: details.epochsCompleted, checkpointDir: details.checkpointDir };
  }
  for (const name of await fs.readdir(checkpointsDir).catch(() => [] as string[])) {
    const n = Number(/^epoch-(\d+)$/.exec(name)?.[1] ?? NaN);
    const dir = path.join(checkpointsDir, name);
    if (n > (best?.epochsCompleted ?? 0) && (await exists(path.join(dir, 'model.json')))) {
      best = { epochsCompleted: n, checkpointDir: dir };
    }
  }
  return best;
}

export function createTrainingActivities(deps: TrainingDeps): TrainingActivities {
  const { cfg, tf } = deps;
  const exchange = deps.exchange ?? sharedDiskExchange();
  const loadBatches =
    deps.loadBatches ?? ((files: readonly string[]) => Promise.all(files.map(readBatchSnapshot)));
  /** One set from several batches (one per partition), in the given order. */
  const readBatches = async (files: readonly string[]): Promise<MnistSet> =>
    concatSets((await loadBatches(files)).map((snap) => snap.set));
  /** Before each training: other runs' copies on this host go once stale (never fails the training). */
  const pruneCopies = (key: string) =>
    exchange
      .pruneCopies(key)
      .catch((err: Error) => console.warn(`old run copies not pruned: ${err.message}`));
  let dataPromise: Promise<Pick<PreparedData, 'train' | 'validation' | 'test'>> | undefined;
  const data = () => {
    dataPromise ??= (deps.data ?? (() => prepareSplits(cfg, { download: deps.download })))();
    // A failed load must not stick: the next activity tries again.
    dataPromise.catch(() => (dataPromise = undefined));
    return dataPromise;
  };

  /**
   * The shared loop of both training activities: resume point from the heartbeat details, checkpoint
   * after each epoch, cancellation through the model's AbortSignal, the result staged for the IO side.
   */
  async function runTraining(
    key: string,
    stagedName: string,
    hyper: Hyperparameters,
    start: (resume: { model: LayersModel; epochsCompleted: number } | undefined) => Promise<LayersModel>,
    fit: (
      model: LayersModel,
      hooks: Parameters<typeof train>[3],
    ) => Promise<TrainResult & { mix?: StagedModel['mix'] }>,
    /** Counts what each new sample was fed (fine-tuning), kept beside every checkpoint. */
    fed?: FedCounter,
  ): Promise<StagedModel> {
    const ctx = Context.current();
    const paths = runPaths(cfg.paths.dataDir, key);
    await pruneCopies(key);
    const resume = await resumePoint(
      ctx.info.heartbeatDetails as TrainingHeartbeat | undefined,
      paths.checkpoints(ctx.info.activityType),
      exchange,
    );
    const resumedFromEpoch = resume?.epochsCompleted ?? 0;
    const model = await start(
      resume
        ? { model: await loadModel(tf, resume.checkpointDir), epochsCompleted: resumedFromEpoch }
        : undefined,
    );
    // A checkpoint of code from before the evidence has none: the counts are then unknown, not zero.
    if (fed && resume) {
      const fedAt = fedFile(resume.checkpointDir);
      // Without a shared disk it comes from the store; missing there, the counts are unknown (below).
      const saved = readFileIfExists(await exchange.file(fedAt).catch(() => fedAt));
      if (saved) fed.restore(JSON.parse(saved));
      else fed.markUnknown();
    }
    const reporter = new TrainingReporter(ctx, resume, deps.progressSink);
    // Alive once the model is loaded: the first batch's heartbeat can be seconds away under load.
    reporter.started({
      epoch: resumedFromEpoch,
      epochs: hyper.epochs,
      batch: 0,
      batches: 0,
      loss: 0,
      resumedFromEpoch,
    });
    const history: EpochRecord[] = [];
    try {
      const result = await fit(model, {
        hyper,
        initialEpoch: resumedFromEpoch,
        signal: ctx.cancellationSignal,
        onBatchEnd: (p) => reporter.batch({ ...p, epochs: hyper.epochs, resumedFromEpoch }),
        ...(fed ? { onFed: (indices: Int32Array) => fed.record(indices) } : {}),
        onEpochEnd: async (epoch, m, metrics) => {
          history.push(toRecord(metrics));
          const dir = paths.checkpoint(ctx.info.activityType, epoch + 1);
          // Before the checkpoint: a checkpoint on disk always has the counts it was trained with.
          if (fed) await writeFileDurable(fedFile(dir), JSON.stringify(fed));
          await saveModel(tf, m, dir, { includeOptimizer: true, overwrite: true });
          // For a worker on another host to resume from. In the background, off the training loop (it cost
          // the spread-out cycle ~10 %, bench:scale): a retry only ever uses a checkpoint whose manifest,
          // written last, is in the store, so one still uploading at a crash is just not there yet. Not
          // the last epoch's: the staged model is published right after it, and its upload competed with
          // that one for ~200 ms (bench:scale); a crash in between retrains one epoch.
          if (exchange.shared && epoch + 1 < hyper.epochs) {
            void (async () => {
              if (fed) await exchange.publishFile(fedFile(dir));
              await exchange.publishFolder(dir);
            })().catch((err: Error) =>
              console.warn(
                `checkpoint ${dir} not published (a retry elsewhere resumes earlier): ${err.message}`,
              ),
            );
          }
          reporter.checkpoint(epoch + 1, dir, {
            epoch,
            epochs: hyper.epochs,
            batch: 0,
            batches: 0,
            loss: metrics.loss,
            resumedFromEpoch,
          });
        },
      });
      if (result.cancelled)
        throw new CancelledFailure('training cancelled; the last completed epoch is checkpointed');
      const dir = paths.staged(stagedName);
      await saveModel(tf, model, dir, { overwrite: true });
      await exchange.publishFolder(dir);
      return {
        dir,
        epochs: history,
        resumedFromEpoch,
        hyperparameters: { ...hyper },
        ...(result.mix ? { mix: result.mix } : {}),
      };
    } finally {
      model.dispose();
    }
  }

  return {
    async trainInitialModel({ key, epochs }) {
      const splits = await data();
      const hyper = { ...hyperparametersFromConfig(cfg.training), epochs };
      return runTraining(
        key,
        'initial',
        hyper,
        async (resume) => {
          if (!resume) return createCnn(tf, hyper);
          if (!resume.model.optimizer) compileCnn(tf, resume.model, hyper);
          return resume.model;
        },
        (model, hooks) => train(tf, model, splits.train, { ...hooks, validation: splits.validation }),
      );
    },

    async fineTuneChallenger({
      key,
      championDir,
      batchFiles,
      replayBatchFiles = [],
      championHyperparameters,
      epochs,
    }) {
      if (batchFiles.length === 0)
        throw new InvalidInputError('no batch files given: pass the files takeBatch returned');
      // New and replayed batches in one load: a host without them reads them from Kafka together.
      const [splits, loaded] = await Promise.all([data(), loadBatches([...batchFiles, ...replayBatchFiles])]);
      const snapshots = loaded.slice(0, batchFiles.length);
      const earlier = concatSets(loaded.slice(batchFiles.length).map((snap) => snap.set));
      const fresh = concatSets(snapshots.map((snap) => snap.set));
      const fed = new FedCounter(fresh.count);
      const hyper = fineTuneHyperparameters(cfg.training, epochs, key, championHyperparameters);
      const staged = await runTraining(
        key,
        'challenger',
        hyper,
        async (resume) => resume?.model ?? loadModel(tf, await exchange.folder(championDir)),
        async (model, hooks) => {
          const r = await fineTune(tf, model, fresh, concatSets([splits.train, earlier]), {
            ...hooks,
            hyper,
            replayShare: cfg.training.replayShare,
            validation: splits.validation,
          });
          return { ...r, mix: { newCount: r.mix.newCount, replayCount: r.mix.replayCount } };
        },
        fed,
      );
      // Per batch (snapshot file `<batch id>.msb`), in the order the new samples were concatenated.
      let start = 0;
      const fedDigests: Record<string, string> = {};
      batchFiles.forEach((file, k) => {
        const { ids } = snapshots[k]!;
        fedDigests[batchIdOfSnapshot(file)] = fed.digestOf(start, ids);
        start += ids.length;
      });
      return fed.known ? { ...staged, fedDigests } : staged;
    },

    async evaluateOnSplits({ modelDir, report }) {
      const splits = await data();
      const model = await loadModel(tf, await exchange.folder(modelDir));
      try {
        const validation = await evaluate(tf, model, splits.validation);
        Context.current().heartbeat();
        const test = await evaluate(tf, model, splits.test);
        let reportFile: string | undefined;
        if (report) {
          const digits = (await predict(tf, model, splits.test.images)).map((p) => p.digit);
          const body: EvaluationReport = {
            confusion: test.confusion,
            misclassified: pickMisclassified(splits.test, digits).map((d) => ({
              index: d.index,
              actual: d.actual,
              predicted: d.predicted,
              image: Buffer.from(d.image).toString('base64'),
            })),
          };
          reportFile = runPaths(cfg.paths.dataDir, report.key).report(report.name);
          await writeFileDurable(reportFile, JSON.stringify(body));
          await exchange.publishFile(reportFile);
        }
        return {
          validation: toScore(validation),
          test: toScore(test),
          ...(reportFile ? { reportFile } : {}),
        };
      } finally {
        model.dispose();
      }
    },

    async evaluateOnBatch({ modelDir, batchFiles }) {
      if (batchFiles.length === 0)
        throw new InvalidInputError('no batch files given: pass the files takeBatch returned');
      const set = await readBatches(batchFiles);
      const model = await loadModel(tf, await exchange.folder(modelDir));
      Context.current().heartbeat();
      try {
        return toScore(await evaluate(tf, model, set));
      } finally {
        model.dispose();
      }
    },
  };
}
