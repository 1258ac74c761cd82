/**
 * In-memory stand-ins for every activity, for tests whose point is the workflow logic: a topic with a
 * committed offset, a ledger of pending batches, a champion pointer, and a log of calls in order.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type {
  ChampionSummary,
  CycleRecord,
  IoActivities,
  PipelineSettings,
  BootstrapLogInput,
  RetrainLogInput,
  StagedModel,
  StoreVersionInput,
  TrainingActivities,
  TrainingHeartbeat,
} from '../../src/activities/contracts';
import type { Score, SplitScores } from '../../src/shared';

const score = (accuracy: number): Score => ({ accuracy, loss: 1 - accuracy, count: 100 });
export const scores = (validation: number, test: number): SplitScores => ({
  validation: score(validation),
  test: score(test),
});

export interface FakeWorld {
  settings: PipelineSettings;
  champion: ChampionSummary | null;
  /** Told what storeModelVersion was given. */
  onStore?: (input: StoreVersionInput) => void;
  /** Records published to the topic (their offsets are 0..published-1). */
  published: number;
  committedOffset: number;
  /** Every `deadLetterEvery`-th record of a batch is invalid (0: none). */
  deadLetterEvery: number;
  pendingBatch: { batchId: string; from: number; to: number; valid: number; deadLettered: number } | null;
  usedBatches: string[];
  /** Scores the fake evaluation gives a model folder, by folder. */
  scoresByDir: Record<string, SplitScores>;
  /** Scores any freshly trained / fine-tuned model gets. */
  trainedScores: SplitScores;
  cycles: CycleRecord[];
  runs: (BootstrapLogInput | RetrainLogInput)[];
  calls: string[];
  /** Resolves when takeBatch may go on; lets a test keep a retrain running. */
  takeBatchGate: Promise<void>;
  /** trainInitialModel fails once (first attempt) after completing this many epochs. */
  failTrainingAfterEpochs?: number;
  /** What each attempt of trainInitialModel found in its heartbeat details. */
  trainingAttempts: { attempt: number; resumedFrom: number }[];
}

export function newWorld(trainingTaskQueue: string): FakeWorld {
  return {
    settings: {
      trainingTaskQueue,
      epochs: 3,
      fineTuneEpochs: 1,
      batch: { minRecords: 100, maxRecords: 500, maxWaitMs: 1000 },
      lagThreshold: 300,
      promotion: { minGain: 0.001, testTolerance: 0.005 },
    },
    champion: null,
    published: 0,
    committedOffset: 0,
    deadLetterEvery: 0,
    pendingBatch: null,
    usedBatches: [],
    scoresByDir: {},
    trainedScores: scores(0.95, 0.95),
    cycles: [],
    runs: [],
    calls: [],
    takeBatchGate: Promise.resolve(),
    trainingAttempts: [],
    failTrainingAfterEpochs: undefined,
  };
}

export function fakeActivities(getWorld: () => FakeWorld): IoActivities & TrainingActivities {
  const w = () => getWorld();
  const log = (name: string) => w().calls.push(name);
  const staged = (dir: string, epochs: number, resumedFromEpoch = 0): StagedModel => {
    w().scoresByDir[dir] = w().trainedScores;
    return {
      dir,
      resumedFromEpoch,
      hyperparameters: { optimizer: 'adam', epochs },
      epochs: Array.from({ length: epochs }, (_, epoch) => ({
        epoch,
        loss: 1 / (epoch + 1),
        accuracy: 0.9,
        seconds: 0.01,
      })),
    };
  };
  return {
    async readSettings() {
      log('readSettings');
      return w().settings;
    },
    async prepareData() {
      log('prepareData');
      return {
        manifestId: 'f'.repeat(64),
        counts: { train: 1000, validation: 100, test: 100, stream: 500 },
        manifestWritten: false,
      };
    },
    async getChampion() {
      log('getChampion');
      return w().champion;
    },
    async storeModelVersion(input) {
      log(`storeModelVersion:${input.versionId}`);
      w().onStore?.(input);
      w().scoresByDir[`/store/${input.versionId}`] = w().scoresByDir[input.stagedDir]!;
      return { versionId: input.versionId, path: `/store/${input.versionId}`, created: true };
    },
    async promoteModel({ versionId }) {
      log(`promoteModel:${versionId}`);
      const previous = w().champion?.versionId ?? null;
      w().champion = {
        versionId,
        path: `/store/${versionId}`,
        metrics: {},
        batchIds: [...(w().champion?.batchIds ?? [])],
      };
      return { previousVersionId: previous, changed: previous !== versionId };
    },
    async publishStreamSamples({ count }) {
      log(`publish:${count}`);
      w().published += count;
      return { published: count, skipped: 0, remaining: 10_000 - w().published };
    },
    async consumerLag() {
      log('consumerLag');
      return { lag: w().published - w().committedOffset };
    },
    async takeBatch({ minRecords, maxRecords }) {
      log('takeBatch');
      await w().takeBatchGate;
      const world = w();
      if (world.pendingBatch) {
        const b = world.pendingBatch;
        const consumed = b.to - b.from + 1;
        return {
          status: 'taken',
          batchIds: [b.batchId],
          files: [`/batches/${b.batchId}`],
          consumed,
          valid: b.valid,
          deadLettered: b.deadLettered,
          resumed: true,
        };
      }
      const available = world.published - world.committedOffset;
      if (available < minRecords) return { status: 'too-few', available };
      const from = world.committedOffset;
      const to = from + Math.min(available, maxRecords) - 1;
      const consumed = to - from + 1;
      const deadLettered = world.deadLetterEvery ? Math.floor(consumed / world.deadLetterEvery) : 0;
      const batchId = `topic-0-${from}-${to}`;
      world.pendingBatch = { batchId, from, to, valid: consumed - deadLettered, deadLettered };
      return {
        status: 'taken',
        batchIds: [batchId],
        files: [`/batches/${batchId}`],
        consumed,
        valid: consumed - deadLettered,
        deadLettered,
        resumed: false,
      };
    },
    async logBootstrapRun(input) {
      log('logRun:bootstrap:true');
      w().runs.push(input);
      return { runId: `run-${w().runs.length}`, registeredVersion: String(w().runs.length) };
    },
    async logRetrainRun(input) {
      log(`logRun:retrain:${input.decision === 'promoted'}`);
      w().runs.push(input);
      return { runId: `run-${w().runs.length}`, registeredVersion: String(w().runs.length) };
    },
    async recordCycle(input) {
      log(`recordCycle:${input.decision}`);
      w().cycles.push(input);
    },
    async markBatchesUsed({ batchIds }) {
      log(`markBatchesUsed:${batchIds.join(',')}`);
      const b = w().pendingBatch;
      if (!b || batchIds.join() !== b.batchId) throw new Error(`no pending batch ${batchIds.join()}`);
      w().usedBatches.push(b.batchId);
    },
    // Like the real one, commits what the ledger marks used, never more.
    async commitOffsets() {
      log('commitOffsets');
      const b = w().pendingBatch;
      if (!b || !w().usedBatches.includes(b.batchId)) return { committed: {} as Record<string, string> };
      w().committedOffset = b.to + 1;
      w().pendingBatch = null;
      return { committed: { '0': String(b.to + 1) } };
    },
    async cleanUpRun() {
      log('cleanUpRun');
    },
    async trainInitialModel({ key, epochs }) {
      const info = activityInfo();
      const details = info.heartbeatDetails as TrainingHeartbeat | undefined;
      const start = details?.epochsCompleted ?? 0;
      w().trainingAttempts.push({ attempt: info.attempt, resumedFrom: start });
      log(`trainInitialModel:attempt${info.attempt}:from${start}`);
      for (let epoch = start; epoch < epochs; epoch++) {
        const hb: TrainingHeartbeat = {
          epochsCompleted: epoch + 1,
          progress: { epoch, epochs, batch: 0, batches: 1, loss: 0.5, resumedFromEpoch: start },
        };
        heartbeat(hb);
        if (info.attempt === 1 && w().failTrainingAfterEpochs === epoch + 1) {
          // Give the heartbeat time to reach the server before the attempt fails, as a real crash would.
          await new Promise((r) => setTimeout(r, 1500));
          throw new Error('simulated worker crash after a checkpoint');
        }
      }
      return staged(`/staging/${key}/initial`, epochs, start);
    },
    async fineTuneChallenger({ key, epochs }) {
      log('fineTuneChallenger');
      return { ...staged(`/staging/${key}/challenger`, epochs), mix: { newCount: 100, replayCount: 100 } };
    },
    async evaluateOnSplits({ modelDir, report }) {
      log(`evaluateOnSplits:${modelDir}`);
      const s = w().scoresByDir[modelDir];
      if (!s) throw new Error(`fake has no scores for ${modelDir}`);
      return report ? { ...s, reportFile: `/runs/${report.key}/${report.name}.json` } : s;
    },
    async evaluateOnBatch({ modelDir }) {
      log(`evaluateOnBatch:${modelDir}`);
      return score(0.9);
    },
  };
}

/** Puts a champion with the given scores in place. */
export function withChampion(world: FakeWorld, versionId: string, s: SplitScores): void {
  world.champion = { versionId, path: `/store/${versionId}`, metrics: {}, batchIds: [] };
  world.scoresByDir[`/store/${versionId}`] = s;
}
