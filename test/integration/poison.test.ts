/**
 * Poison records end to end on the real stack (Kafka, PostgreSQL, Temporal, MLflow) with the real
 * activities: every kind of bad record is produced raw with kafkajs, retrain cycles run on tiny
 * settings, and the dead-letter topic, the ledger, the cycle records and the MLflow runs are checked.
 * A batch of nothing but poison must not block the stream: it is skipped, committed past, and the
 * next cycle trains on what comes after it.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Kafka, Message } from 'kafkajs';
import { createKafka } from '../../src/adapters/kafka/client';
import { consumerLag } from '../../src/adapters/kafka/offsets';
import { ensureTopics } from '../../src/adapters/kafka/topics';
import { MlflowClient } from '../../src/adapters/mlflow';
import { Ledger } from '../../src/adapters/pg/ledger';
import { DLQ_HEADER } from '../../src/domain/stream/dead-letter';
import { encodeSample, HEADER, SCHEMA_V1 } from '../../src/domain/stream/record';
import type { RetrainResult } from '../../src/shared';
import { bootstrapWorkflow, retrainWorkflow } from '../../src/workflows';
import { startWorkers, type WorkersHandle } from '../../src/workers/start';
import { pipelineSuite } from '../support/pipeline-env';

const { tag, dir, cfg } = pipelineSuite('poison', {
  MAX_RECORD_BYTES: '4096',
  RETRAIN_MIN_RECORDS: '5',
  RETRAIN_MAX_RECORDS: '200',
  RETRAIN_MAX_WAIT_MS: '5000',
});
const ioTaskQueue = `poison-io-${tag}`;

let workers: WorkersHandle;
let connection: Connection;
let client: Client;
let kafka: Kafka;
let ledger: Ledger;

/** A raw record and the reason it must be dead-lettered with (undefined: valid). */
interface Sent {
  readonly message: Message;
  readonly reason?: string;
}

const pixels = (seed: number) => Buffer.from(Array.from({ length: 784 }, (_, i) => (i * 31 + seed) % 256));
const validId = (n: number) => `p-${tag}-v${n}`;
function valid(n: number): Sent {
  const r = encodeSample({ id: validId(n), label: n % 10, image: pixels(n) }, 'poison-test');
  return { message: { key: r.key, value: r.value, headers: r.headers } };
}
const headers = (label: string) => ({
  [HEADER.schema]: SCHEMA_V1,
  [HEADER.label]: label,
  [HEADER.source]: 'poison-test',
});
function poison(name: string, reason: string, message: Partial<Message>): Sent {
  return {
    reason,
    message: { key: `p-${tag}-${name}`, value: pixels(7), headers: headers('3'), ...message },
  };
}

async function produce(sent: readonly Sent[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic: cfg.kafka.topic, messages: sent.map((s) => s.message) });
  } finally {
    await producer.disconnect();
  }
}

/** Every record of the dead-letter topic so far (a fresh group from the start each time). */
async function deadLetters(expected: number): Promise<{ key: string; reason: string; offset: string }[]> {
  const consumer = kafka.consumer({ groupId: `poison-reader-${randomUUID()}` });
  const out: { key: string; reason: string; offset: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [cfg.kafka.deadLetterTopic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      void consumer.run({
        eachMessage: async ({ message: m }) => {
          out.push({
            key: m.key?.toString('latin1') ?? '',
            reason: m.headers?.[DLQ_HEADER.reason]?.toString() ?? '',
            offset: m.headers?.[DLQ_HEADER.sourceOffset]?.toString() ?? '',
          });
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function expectedReasons(sent: readonly Sent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sent) if (s.reason) out[s.reason] = (out[s.reason] ?? 0) + 1;
  return out;
}

async function retrain(name: string): Promise<RetrainResult> {
  return client.workflow.execute(retrainWorkflow, {
    taskQueue: ioTaskQueue,
    workflowId: `poison-retrain-${name}-${tag}`,
    args: [{}],
  });
}

const lag = async () => (await consumerLag(kafka, cfg.kafka.consumerGroup, cfg.kafka.topic)).total;

async function mlflowMetrics(runId: string): Promise<Record<string, number>> {
  const run = await new MlflowClient(cfg.mlflow).tracking.getRun(runId);
  return Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, Number(m.value)]));
}

beforeAll(async () => {
  workers = await startWorkers(cfg, { ioTaskQueue, trainingTaskQueue: `poison-training-${tag}` });
  connection = await Connection.connect({ address: cfg.temporal.address });
  client = new Client({ connection, namespace: cfg.temporal.namespace });
  kafka = createKafka(cfg.kafka);
  ledger = await Ledger.open(cfg.postgres);
  await ensureTopics(kafka, {
    topic: cfg.kafka.topic,
    deadLetterTopic: cfg.kafka.deadLetterTopic,
    partitions: 1,
  });
  const boot = await client.workflow.execute(bootstrapWorkflow, {
    taskQueue: ioTaskQueue,
    workflowId: `poison-bootstrap-${tag}`,
    args: [{}],
  });
  expect(boot.status).toBe('trained');
}, 600_000);

afterAll(async () => {
  await workers?.shutdown();
  await connection?.close();
  // Keep the shared ledger small: this run's rows are of no use to anyone.
  await ledger?.pool.query('DELETE FROM batches WHERE topic = $1', [cfg.kafka.topic]);
  await ledger?.close();
  const admin = kafka?.admin();
  if (admin) {
    await admin.connect();
    await admin.deleteTopics({ topics: [cfg.kafka.topic, cfg.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

// Offsets in the topic follow the order sent, cycle after cycle.
const mixed: Sent[] = [
  valid(0),
  poison('short', 'wrong-value-length', { value: Buffer.alloc(100, 1) }),
  valid(1),
  poison('label-12', 'label-out-of-range', { headers: headers('12') }),
  poison('no-schema', 'schema-missing', {
    headers: { [HEADER.label]: '3', [HEADER.source]: 'poison-test' },
  }),
  valid(2),
  poison('schema-v9', 'schema-unknown', { headers: { ...headers('3'), [HEADER.schema]: 'mnist-sample/v9' } }),
  poison('empty', 'empty-value', { value: Buffer.alloc(0) }),
  poison('huge', 'oversized-value', { value: Buffer.alloc(5000, 9) }),
  poison('garbage-key', 'garbage', { key: Buffer.from([0xff, 0xfe, 0x80, 0x41]) }),
  poison('garbage-label', 'garbage', { headers: { ...headers('3'), [HEADER.label]: Buffer.from([0xc3]) } }),
  valid(3),
  // The same id as valid(0) later in the same batch: the first one wins.
  { ...valid(0), reason: 'duplicate-in-batch' },
  valid(4),
  valid(5),
];
// A whole batch of poison, including a sample already trained on in the cycle before.
const allPoison: Sent[] = [
  { ...valid(2), reason: 'duplicate-in-ledger' },
  poison('label-x', 'label-not-digit', { headers: headers('x') }),
  poison('short-2', 'wrong-value-length', { value: Buffer.alloc(783, 1) }),
  poison('no-key', 'missing-key', { key: null }),
  poison('empty-2', 'empty-value', { value: Buffer.alloc(0) }),
  poison('label-10', 'label-out-of-range', { headers: headers('10') }),
];
const after = [6, 7, 8, 9, 10].map(valid);

it('dead-letters every kind of poison with its reason, trains each valid sample once, and is not blocked by a batch of pure poison', async () => {
  const t0 = Date.now();
  // Cycle 1: a mix.
  await produce(mixed);
  const first = await retrain('mixed');
  const t1 = Date.now();
  expect(['promoted', 'rejected']).toContain(first.decision);
  const mixedPoison = mixed.filter((s) => s.reason).length;
  expect(first.counts).toEqual({
    consumed: mixed.length,
    valid: mixed.length - mixedPoison,
    deadLettered: mixedPoison,
  });
  expect(await lag()).toBe(0);

  // The dead-letter topic holds each poison record with its reason, at its source offset.
  const expectedDlq = mixed
    .map((s, offset) => ({ reason: s.reason, offset: String(offset) }))
    .filter((d) => d.reason);
  const dlq1 = await deadLetters(expectedDlq.length);
  expect(dlq1.map(({ reason, offset }) => ({ reason, offset }))).toEqual(expectedDlq);

  // The ledger counts them per reason, by cycle and in the cycle record; so does the MLflow run.
  const reasons1 = expectedReasons(mixed);
  expect(await ledger.deadLetterCounts({ cycleId: first.cycleId })).toEqual({
    total: mixedPoison,
    byReason: reasons1,
  });
  const cycle1 = await ledger.getRetrainCycle(first.cycleId);
  for (const [reason, n] of Object.entries(reasons1)) {
    expect(cycle1?.metrics[`dead_letters/${reason}`]).toBe(n);
  }
  expect(await mlflowMetrics(first.mlflowRunId!)).toMatchObject({
    dead_lettered: mixedPoison,
    ...Object.fromEntries(Object.entries(reasons1).map(([r, n]) => [`dead_letters/${r}`, n])),
  });
  // The batch holds exactly the valid ids (the duplicate once), used by this cycle.
  const [batchId] = first.batchIds!;
  expect(await ledger.batchSampleIds(batchId!)).toEqual([0, 1, 2, 3, 4, 5].map(validId).sort());
  expect(await ledger.getBatch(batchId!)).toMatchObject({ status: 'used', retrainCycleId: first.cycleId });

  // Cycle 2: nothing valid. Skipped, yet recorded, dead-lettered and committed past.
  await produce(allPoison);
  const second = await retrain('all-poison');
  const t2 = Date.now();
  expect(second.decision).toBe('skipped');
  expect(second.reason).toMatch(/no valid records in batch/);
  expect(second.counts).toEqual({ consumed: allPoison.length, valid: 0, deadLettered: allPoison.length });
  expect(await lag()).toBe(0);
  const [emptyBatch] = second.batchIds!;
  expect(await ledger.getBatch(emptyBatch!)).toMatchObject({
    status: 'used',
    retrainCycleId: second.cycleId,
    validCount: 0,
    deadLetteredCount: allPoison.length,
  });
  expect(await ledger.deadLetterCounts({ cycleId: second.cycleId })).toEqual({
    total: allPoison.length,
    byReason: expectedReasons(allPoison),
  });
  expect((await ledger.getRetrainCycle(second.cycleId))?.decision).toBe('skipped');
  expect(await mlflowMetrics(second.mlflowRunId!)).toMatchObject({
    dead_lettered: allPoison.length,
    'dead_letters/duplicate-in-ledger': 1,
  });
  const dlq2 = await deadLetters(expectedDlq.length + allPoison.length);
  expect(dlq2.slice(expectedDlq.length).map(({ reason, offset }) => ({ reason, offset }))).toEqual(
    allPoison.map((s, i) => ({ reason: s.reason, offset: String(mixed.length + i) })),
  );

  // Cycle 3: the stream is not blocked; new valid samples train.
  await produce(after);
  const third = await retrain('after');
  const t3 = Date.now();
  expect(['promoted', 'rejected']).toContain(third.decision);
  expect(third.counts).toEqual({ consumed: after.length, valid: after.length, deadLettered: 0 });
  expect(await lag()).toBe(0);

  // Every valid sample is in exactly one batch, and every batch was used by exactly one cycle.
  const { rows } = await ledger.pool.query<{ sample_id: string; cycle: string }>(
    `SELECT s.sample_id, b.retrain_cycle_id AS cycle FROM batch_samples s JOIN batches b ON b.id = s.batch_id
     WHERE b.topic = $1 ORDER BY s.sample_id`,
    [cfg.kafka.topic],
  );
  const byCycle = (c: string) =>
    rows
      .filter((r) => r.cycle === c)
      .map((r) => r.sample_id)
      .sort();
  expect(rows).toHaveLength(11);
  expect(byCycle(first.cycleId)).toEqual([0, 1, 2, 3, 4, 5].map(validId).sort());
  expect(byCycle(third.cycleId)).toEqual([6, 7, 8, 9, 10].map(validId).sort());
  expect(await ledger.deadLetterCounts({ topic: cfg.kafka.topic })).toEqual({
    total: mixedPoison + allPoison.length,
    byReason: expectedReasons([...mixed, ...allPoison]),
  });
  console.log(
    `poison: mixed cycle ${((t1 - t0) / 1000).toFixed(1)} s, all-poison cycle ${((t2 - t1) / 1000).toFixed(1)} s, ` +
      `next cycle ${((t3 - t2) / 1000).toFixed(1)} s`,
  );
}, 900_000);
