/**
 * The fault cases. Each streams its own new samples, injects one fault at a moment it observes (ledger
 * rows, checkpoint files, the workflow's progress query), lets the system recover, asserts what the
 * recovery must look like, and leaves the shared invariants to the runner.
 */
import { execFileSync } from 'node:child_process';
import { ModelStore } from '../../src/domain/registry/store';
import { consumerLag } from '../../src/adapters/kafka/offsets';
import type { StagedModel } from '../../src/activities/contracts';
import { poisonSpecs, readDeadLetters, sendPoison } from './poison';
import {
  CaseFailure,
  checkpoints,
  expectThat,
  inject,
  publishedIds,
  retrainResult,
  streamResult,
  streamWithRetrain,
  waitForStage,
  type Suite,
} from './suite';
import { sleep, waitFor } from './wait';

export interface FaultCase {
  readonly name: string;
  /** Returns a one-line outcome for the report. */
  run(s: Suite): Promise<string>;
}

const decided = (d: string) => d === 'promoted' || d === 'rejected';

const trainingKill: FaultCase = {
  name: 'SIGKILL training worker mid-epoch',
  async run(s) {
    const epochs = 3;
    const { retrainId } = await streamWithRetrain(s, 'kill-training', 1500, { fineTuneEpochs: epochs });
    const t0 = Date.now();
    await waitForStage(s, retrainId, 'fine-tuning', (p) => p.stage === 'fine-tuning challenger');
    const tFine = Date.now();
    await waitFor(
      'checkpoint after epoch 1',
      async () => (await checkpoints(s, retrainId, 'fineTuneChallenger')).includes(1),
      {
        timeoutMs: 300_000,
        intervalMs: 100,
      },
    );
    const epochMs = Date.now() - tFine;
    // A third into epoch 2: well inside it, far from both checkpoints.
    await sleep(Math.max(500, epochMs / 3));
    const before = await checkpoints(s, retrainId, 'fineTuneChallenger');
    expectThat(
      before.length === 1 && before[0] === 1,
      `kill must land in epoch 2, checkpoints were ${before.join(',')}`,
    );
    inject(
      s,
      `SIGKILL training worker pid ${s.training.pid} in epoch 2 of ${epochs} (epoch ~${(epochMs / 1000).toFixed(1)} s)`,
    );
    await s.training.kill();
    await s.training.start();
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    const fine = (await s.pipeline.activities(retrainId)).find((a) => a.type === 'fineTuneChallenger');
    const staged = fine?.result as StagedModel | undefined;
    expectThat(
      (fine?.attempts ?? 0) >= 2,
      `fineTuneChallenger retried after the kill (attempts ${fine?.attempts})`,
    );
    expectThat(
      staged?.resumedFromEpoch === 1 && staged.epochs.length === epochs - 1,
      `resumed from epoch 1 (last checkpoint), trained ${epochs - 1} epochs; got resumedFromEpoch ${staged?.resumedFromEpoch}, ${staged?.epochs.length} epochs`,
    );
    return `attempts ${fine!.attempts}, resumed from epoch ${staged!.resumedFromEpoch} of ${epochs}, ${r.decision} after ${((Date.now() - t0) / 1000).toFixed(0)} s`;
  },
};

const ioKill: FaultCase = {
  name: 'SIGKILL IO worker between snapshot and offset commit',
  async run(s) {
    const { retrainId } = await streamWithRetrain(s, 'kill-io', 300);
    const batch = await waitFor(
      'a snapshotted, uncommitted batch in the ledger',
      async () => (await s.ledger.pendingBatches(s.cfg.kafka.topic))[0],
      { timeoutMs: 300_000, intervalMs: 50 },
    );
    inject(s, `SIGKILL IO worker pid ${s.io.pid} with batch ${batch.id} snapshotted, offsets not committed`);
    await s.io.kill();
    const lag = await consumerLag(s.kafka, s.cfg.kafka.consumerGroup, s.cfg.kafka.topic);
    const committed = BigInt(lag.partitions.find((p) => p.partition === batch.partition)?.next ?? '0');
    expectThat(
      committed <= BigInt(batch.startOffset),
      `offsets still before the batch at the kill (committed ${committed})`,
    );
    await s.io.start();
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    expectThat(
      r.batchIds?.includes(batch.id) === true,
      `the cycle trained on the snapshotted batch ${batch.id}`,
    );
    return `${r.decision} on batch ${batch.id} (resumed from ledger: ${r.resumedBatch})`;
  },
};

const kafkaDuringStream: FaultCase = {
  name: 'restart Kafka during streamNewData',
  async run(s) {
    const before = (await publishedIds(s)).size;
    const count = 4000;
    const { streamId, retrainId } = await streamWithRetrain(s, 'kafka-stream', count);
    await waitFor('the first published chunks', async () => (await publishedIds(s)).size > before, {
      timeoutMs: 300_000,
      intervalMs: 50,
    });
    inject(s, 'restart Kafka while samples are being published');
    await s.stack.stop('kafka');
    const atStop = (await publishedIds(s)).size - before;
    await s.stack.start('kafka');
    expectThat(atStop < count, `Kafka stopped mid-publish (${atStop} of ${count} published at the stop)`);
    const streamed = await streamResult(s, streamId);
    expectThat(
      streamed.published + streamed.skipped === count,
      `stream published ${count}, got ${JSON.stringify(streamed)}`,
    );
    const publish = (await s.pipeline.activities(streamId)).find((a) => a.type === 'publishStreamSamples');
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    return `${atStop}/${count} published at the stop, publish attempts ${publish?.attempts}; retrain ${r.decision} on ${r.counts.valid} valid`;
  },
};

const kafkaDuringConsume: FaultCase = {
  name: "restart Kafka during the retrain's consume (+ poison records)",
  async run(s) {
    const streamId = `stream-kafka-consume-${s.env.tag}`;
    const retrainId = `retrain-kafka-consume-${s.env.tag}`;
    await s.pipeline.start('streamNewDataWorkflow', streamId, [{ count: 1500, lagThreshold: 0 }]);
    await s.pipeline.handle(streamId).result();
    const [takenId] = (
      await s.ledger.pool.query<{ sample_id: string }>('SELECT sample_id FROM batch_samples LIMIT 1')
    ).rows;
    expectThat(takenId !== undefined, 'an earlier case left a sample in a batch');
    const { validExtra, validExtraId, poison } = poisonSpecs(
      s.env.tag,
      takenId.sample_id,
      s.cfg.kafka.maxRecordBytes,
    );
    const sent = await sendPoison(s.kafka, s.cfg.kafka.topic, [validExtra, ...poison]);
    s.extraValidIds.add(validExtraId);
    const poisonSent = sent.slice(1);

    // A consume of ~1500 records can finish in under a second, faster than a broker stops: stopping
    // Kafka once takeBatch has started lost that race in CI. So the broker goes down first and the
    // retrain starts against it; it comes back only after takeBatch has run for a while without it.
    inject(s, 'restart Kafka around takeBatch: stopped before the consume starts, back while it runs');
    await s.stack.stop('kafka');
    let whileDown: { attempt: number; lastFailure?: string };
    try {
      await s.pipeline.start('retrainWorkflow', retrainId, [{}]);
      await waitFor(
        'takeBatch running against the stopped broker',
        async () => (await s.pipeline.pendingActivities(retrainId)).find((a) => a.type === 'takeBatch'),
        { timeoutMs: 120_000, intervalMs: 100 },
      );
      await sleep(3_000);
      const open = (await s.pipeline.pendingActivities(retrainId)).find((a) => a.type === 'takeBatch');
      expectThat(open !== undefined, 'takeBatch still open after 3 s with Kafka down');
      whileDown = open!;
    } finally {
      await s.stack.start('kafka');
    }
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    const take = (await s.pipeline.activities(retrainId)).find((a) => a.type === 'takeBatch');
    expectThat(take !== undefined, 'the retrain ran takeBatch');

    const letters = await readDeadLetters(s.kafka, s.cfg.kafka.deadLetterTopic);
    const missing: string[] = [];
    for (const p of poisonSent) {
      const found = letters.filter((l) => l.partition === String(p.partition) && l.offset === p.offset);
      if (!found.length) missing.push(`${p.what} (offset ${p.offset}) not dead-lettered`);
      else if (found.some((l) => l.reason !== p.reason))
        missing.push(`${p.what}: reason ${found[0]!.reason}, expected ${p.reason}`);
    }
    expectThat(missing.length === 0, missing.join('; '));
    const routed = new Set(letters.map((l) => `${l.partition}:${l.offset}`)).size;
    expectThat(
      r.counts.deadLettered === poisonSent.length,
      `retrain counted ${r.counts.deadLettered} dead letters, sent ${poisonSent.length}`,
    );
    s.poisonRouted += routed;
    return `takeBatch ran 3 s against the stopped broker (attempt ${whileDown.attempt}${whileDown.lastFailure ? `, last failure: ${whileDown.lastFailure.slice(0, 60)}` : ''}), ${take!.attempts} attempt(s) in all; ${routed} poison routed with their reasons (${letters.length} DLQ records); ${r.decision}`;
  },
};

const mlflowDown: FaultCase = {
  name: 'stop MLflow during a retrain',
  async run(s) {
    const { retrainId } = await streamWithRetrain(s, 'mlflow-down', 300);
    await waitForStage(s, retrainId, 'fine-tuning', (p) => p.stage === 'fine-tuning challenger');
    inject(s, 'stop MLflow during fine-tuning');
    await s.stack.stop('mlflow');
    const t0 = Date.now();
    try {
      // The cycle decides, records itself, marks the batch used and commits while MLflow is still down.
      const cycle = await waitFor(
        'the cycle recorded in the ledger while MLflow is down',
        async () => {
          const { rows } = await s.ledger.pool.query<{ id: string; decision: string }>(
            "SELECT id, decision FROM retrain_cycles WHERE id LIKE $1 || '-%'",
            [retrainId],
          );
          return rows[0];
        },
        { timeoutMs: 300_000, intervalMs: 500 },
      );
      await waitFor(
        'offsets committed while MLflow is down',
        async () => (await consumerLag(s.kafka, s.cfg.kafka.consumerGroup, s.cfg.kafka.topic)).total === 0,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const pending = await waitFor(
        'MLflow logging retrying',
        async () =>
          (await s.pipeline.pendingActivities(retrainId)).find(
            (a) => a.type === 'logRetrainRun' && a.attempt >= 2,
          ),
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      s.say(
        `  cycle ${cycle.decision} and committed with MLflow down; logRetrainRun at attempt ${pending.attempt}`,
      );
    } finally {
      await s.stack.start('mlflow');
    }
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}`);
    expectThat(r.mlflowRunId !== undefined, 'the MLflow run was logged after MLflow came back');
    return `${r.decision} with MLflow down; logged after it returned (${((Date.now() - t0) / 1000).toFixed(0)} s down+catch-up)`;
  },
};

const postgresRestart: FaultCase = {
  name: 'restart PostgreSQL mid-cycle',
  async run(s) {
    const { retrainId } = await streamWithRetrain(s, 'pg-restart', 300);
    await waitForStage(s, retrainId, 'fine-tuning', (p) => p.stage === 'fine-tuning challenger');
    inject(s, 'stop PostgreSQL during fine-tuning until an activity fails on it');
    await s.stack.stop('postgres');
    let hit: { type: string; attempt: number } | undefined;
    try {
      hit = await waitFor(
        'an IO activity failing on the missing database',
        async () =>
          (await s.pipeline.pendingActivities(retrainId)).find(
            (a) => a.attempt >= 2 && a.type !== 'fineTuneChallenger',
          ),
        { timeoutMs: 300_000, intervalMs: 500 },
      );
    } finally {
      await s.stack.start('postgres');
    }
    const r = await retrainResult(s, retrainId);
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    return `${hit.type} failed ${hit.attempt - 1}x while PostgreSQL was down, then ${r.decision}`;
  },
};

const temporalRestart: FaultCase = {
  name: 'restart the Temporal dev server mid-workflow',
  async run(s) {
    const { retrainId } = await streamWithRetrain(s, 'temporal-restart', 300);
    await waitForStage(s, retrainId, 'fine-tuning', (p) => p.stage === 'fine-tuning challenger');
    const runId = (await s.pipeline.handle(retrainId).describe()).runId;
    inject(s, 'restart Temporal during fine-tuning');
    await s.stack.restart('temporal');
    const r = await retrainResult(s, retrainId);
    const after = (await s.pipeline.handle(retrainId).describe()).runId;
    expectThat(decided(r.decision), `cycle decided, got ${r.decision}: ${r.reason}`);
    expectThat(after === runId, `the same run continued (${runId} → ${after})`);
    return `same run ${runId.slice(0, 8)} continued, ${r.decision}`;
  },
};

const storeReadOnly: FaultCase = {
  name: 'model store not writable during promotion',
  async run(s) {
    const store = new ModelStore(s.cfg.paths.modelsDir);
    const championBefore = (await store.champion())?.versionId;
    // Gain ≥ 0 and any test change: a fine-tuned challenger is (almost) always promoted, so the fault bites.
    const { retrainId } = await streamWithRetrain(s, 'store-ro', 1000, {
      fineTuneEpochs: 2,
      promotionMinGain: 0,
      promotionTestTolerance: 1,
    });
    await waitForStage(s, retrainId, 'evaluating', (p) => p.stage === 'evaluating champion and challenger');
    // As root, permission bits do not stop writes; the immutable attribute does (EPERM).
    inject(s, `chattr +i ${s.cfg.paths.modelsDir} before promotion`);
    execFileSync('chattr', ['+i', s.cfg.paths.modelsDir]);
    let failing: { type: string; attempt: number; lastFailure?: string } | undefined;
    try {
      failing = await waitFor(
        'the promotion failing on the read-only store',
        async () => {
          const desc = await s.pipeline.handle(retrainId).describe();
          if (desc.status.name !== 'RUNNING') {
            throw new CaseFailure(`the retrain ${desc.status.name} instead of retrying the promotion`);
          }
          return (await s.pipeline.pendingActivities(retrainId)).find(
            (a) => a.type === 'promoteModel' && a.attempt >= 2,
          );
        },
        { timeoutMs: 300_000, intervalMs: 500 },
      ).catch(async (e: Error) => {
        const p = await s.pipeline.progress(retrainId).catch(() => undefined);
        throw new Error(`${e.message}; stage ${p?.stage}`);
      });
      const during = (await store.champion())?.versionId;
      expectThat(
        during === championBefore,
        `champion unchanged while the store fails (${championBefore} → ${during})`,
      );
    } finally {
      execFileSync('chattr', ['-i', s.cfg.paths.modelsDir]);
    }
    const r = await retrainResult(s, retrainId);
    expectThat(r.decision === 'promoted', `the cycle recovered and promoted, got ${r.decision}: ${r.reason}`);
    expectThat((await store.champion())?.versionId === r.championAfter, 'champion is the promoted version');
    return `promoteModel failed ${failing.attempt - 1}x (${failing.lastFailure?.slice(0, 60)}…), champion kept; promoted ${r.championAfter} after the fault was removed`;
  },
};

export const CASES: readonly FaultCase[] = [
  trainingKill,
  ioKill,
  kafkaDuringStream,
  kafkaDuringConsume,
  mlflowDown,
  postgresRestart,
  temporalRestart,
  storeReadOnly,
];
