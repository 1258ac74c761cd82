import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { consumeBounded } from '../../src/adapters/kafka/bounded-consumer';
import { useStreamSuite } from '../support/sample-logs';
import { commitBatch, consumerLag } from '../../src/adapters/kafka/offsets';
import { openProducer } from '../../src/adapters/kafka/producer';
import type { RecordPublisher } from '../../src/domain/stream/ports';
import { ensureTopics } from '../../src/adapters/kafka/topics';
import { IMAGE_BYTES } from '../../src/domain/data/types';
import { Ledger } from '../../src/adapters/pg/ledger';
import { readBatchSnapshot, snapshotPaths } from '../../src/domain/stream/batch-snapshot';
import { DLQ_HEADER } from '../../src/domain/stream/dead-letter';
import { publishSamples } from '../../src/domain/stream/publish';
import { encodeSample } from '../../src/domain/stream/record';
import { commitUsedOffsets, markBatchesUsed, takeBatches } from '../../src/domain/stream/take-batch';

const { cfg, kafka, sampleLog, run, topic, deadLetterTopic, groupId } = useStreamSuite('it-stream');
const N = 50;
const samples = Array.from({ length: N }, (_, i) => ({
  id: `it-${run}-${i}`,
  label: i % 10,
  image: new Uint8Array(IMAGE_BYTES).fill(i),
}));

let ledger: Ledger;
let producer: RecordPublisher;
let dataDir: string;

beforeAll(async () => {
  ledger = await Ledger.open(cfg.postgres);
  producer = await openProducer(kafka);
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'it-stream-'));
});
afterAll(async () => {
  // Keep the shared ledger small: this run's rows are of no use to anyone.
  await ledger?.pool.query('DELETE FROM batches WHERE topic = $1', [topic]);
  await ledger?.pool.query('DELETE FROM published_samples WHERE topic = $1', [topic]);
  await producer?.disconnect();
  await ledger?.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function endOffset(t: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(t))[0]!.high;
  } finally {
    await admin.disconnect();
  }
}

async function readAll(t: string, count: number) {
  return consumeBounded(kafka, {
    topic: t,
    groupId: `it-read-${randomUUID()}`,
    maxRecords: count,
    maxWaitMs: 20_000,
  });
}

describe('Kafka stream (real broker)', () => {
  it('creates the samples and dead-letter topics once', async () => {
    const spec = { topic, deadLetterTopic, partitions: 1 };
    expect((await ensureTopics(kafka, spec)).sort()).toEqual([topic, deadLetterTopic].sort());
    expect(await ensureTopics(kafka, spec)).toEqual([]);
  });

  it('publishes each sample id once, even when asked twice', async () => {
    const opts = { topic, source: 'it', chunkSize: 16 };
    expect(await publishSamples({ ledger, producer }, samples, opts)).toEqual({ published: N, skipped: 0 });
    expect(await publishSamples({ ledger, producer }, samples, opts)).toEqual({ published: 0, skipped: N });
    expect(await endOffset(topic)).toBe(String(N));
    const back = await readAll(topic, N);
    expect(back.map((r) => r.key?.toString())).toEqual(samples.map((s) => s.id));
  });

  it('reads the same bounded batch twice when nothing is committed', async () => {
    const read = { topic, groupId, maxRecords: 20, maxWaitMs: 20_000 };
    const first = await consumeBounded(kafka, read);
    const second = await consumeBounded(kafka, read);
    expect(first).toHaveLength(20);
    expect(first.map((r) => [r.partition, r.offset, r.key?.toString()])).toEqual(
      second.map((r) => [r.partition, r.offset, r.key?.toString()]),
    );
    expect(first[0]?.offset).toBe('0');
    expect((await consumerLag(kafka, groupId, topic)).total).toBe(N);
  });

  it('resumes after a commit, and commits are idempotent and never rewind', async () => {
    expect(await commitBatch(kafka, groupId, topic, { 0: '20' })).toEqual({ 0: '20' });
    expect(await commitBatch(kafka, groupId, topic, { 0: '20' })).toEqual({});
    expect(await commitBatch(kafka, groupId, topic, { 0: '5' })).toEqual({});
    const lag = await consumerLag(kafka, groupId, topic);
    expect(lag.partitions).toEqual([{ partition: 0, next: '20', end: String(N), lag: N - 20 }]);
    const next = await consumeBounded(kafka, { topic, groupId, maxRecords: 5, maxWaitMs: 20_000 });
    expect(next.map((r) => r.offset)).toEqual(['20', '21', '22', '23', '24']);
  });

  it('reads through a group of its own: a member left in the app group does not block it', async () => {
    // Like a worker SIGKILLed mid-read with the old design: its member sat in the group until its session expired.
    const holdGroup = `it-held-${run}`;
    const holder = kafka.consumer({ groupId: holdGroup });
    await holder.connect();
    await holder.subscribe({ topics: [topic], fromBeginning: true });
    await holder.run({ autoCommit: false, eachBatch: async ({ pause }) => void pause() });
    try {
      const t0 = Date.now();
      const got = await consumeBounded(kafka, {
        topic,
        groupId: holdGroup,
        maxRecords: 5,
        maxWaitMs: 20_000,
      });
      expect(got.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      await holder.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      expect(groups.filter((g) => g.groupId.startsWith(`${groupId}.reader-`))).toEqual([]);
      expect(groups.filter((g) => g.groupId.startsWith(`${holdGroup}.reader-`))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 90_000);

  it('returns at once with nothing to read', async () => {
    const empty = `it-empty-${run}`;
    await ensureTopics(kafka, { topic: empty, deadLetterTopic, partitions: 1 });
    const t0 = Date.now();
    expect(await consumeBounded(kafka, { topic: empty, groupId, maxRecords: 10, maxWaitMs: 30_000 })).toEqual(
      [],
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [empty] });
    await admin.disconnect();
  });

  it('reads offset ranges back, for a host that rebuilds batches, and names a range the topic lacks', async () => {
    const log = sampleLog({ topic, deadLetterTopic, groupId });
    const range = (partition: number, startOffset: number, endOffset: number) => ({
      partition,
      startOffset: String(startOffset),
      endOffset: String(endOffset),
    });
    // Ranges of one partition: touching ones are one span, a gap means another read from its own start.
    const [first, second, touching] = await log.readRanges([
      range(0, 3, 7),
      range(0, 12, 13),
      range(0, 8, 9),
    ]);
    expect(first!.map((r) => [r.offset, r.key?.toString()])).toEqual(
      samples.slice(3, 8).map((s, i) => [String(3 + i), s.id]),
    );
    expect(second!.map((r) => r.key?.toString())).toEqual([samples[12]!.id, samples[13]!.id]);
    expect(touching!.map((r) => r.offset)).toEqual(['8', '9']);
    await expect(log.readRanges([range(0, N + 10, N + 12)])).rejects.toThrow(
      /partition 0 holds offsets 0\.\.49, not 60\.\.62: retention deleted them or the topic was recreated/,
    );
  }, 90_000);

  it('takes a batch: snapshot, dead letters with reasons, ledger; finishing commits it', async () => {
    // Poison behind the 30 remaining valid records: a bad label, a wrong size, and a republished id.
    const good = encodeSample({ id: `it-${run}-poison`, label: 1, image: new Uint8Array(IMAGE_BYTES) }, 'it');
    await producer.send(topic, [
      { ...good, headers: { ...good.headers, label: 'x' } },
      { ...good, value: Buffer.alloc(10) },
      encodeSample(samples[25]!, 'it'),
    ]);
    const opts = {
      topic,
      deadLetterTopic,
      groupId,
      dataDir,
      maxRecords: 1000,
      maxWaitMs: 20_000,
      maxRecordBytes: cfg.kafka.maxRecordBytes,
    };
    const taken = await takeBatches(sampleLog({ topic, deadLetterTopic, groupId }), ledger, opts);
    expect(taken).toMatchObject({ reused: false, consumed: 33, deadLettered: 3 });
    const [batch] = taken.batches;
    expect(batch).toMatchObject({
      id: `${topic}-0-20-52`,
      startOffset: '20',
      endOffset: '52',
      consumedCount: 33,
      validCount: 30,
      deadLetteredCount: 3,
    });
    const snap = await readBatchSnapshot(batch!.filePath);
    expect(snap.ids).toEqual(samples.slice(20).map((s) => s.id));
    expect(snap.sha256).toBe(batch!.sha256);
    expect(Array.from(snap.set.labels.subarray(0, 3))).toEqual([0, 1, 2]);

    const dead = await readAll(deadLetterTopic, 3);
    expect(dead.map((d) => d.headers[DLQ_HEADER.reason]?.toString())).toEqual([
      'label-not-digit',
      'wrong-value-length',
      'duplicate-in-batch',
    ]);
    expect(dead.map((d) => d.headers[DLQ_HEADER.sourceOffset]?.toString())).toEqual(['50', '51', '52']);
    expect(dead[0]?.headers[DLQ_HEADER.sourceTopic]?.toString()).toBe(topic);
    expect(dead[0]?.headers.label?.toString()).toBe('x');

    // Training failed and the cycle is retried: the same batch comes back, nothing is read again.
    const again = await takeBatches(sampleLog({ topic, deadLetterTopic, groupId }), ledger, opts);
    expect(again).toMatchObject({ reused: true, consumed: 0 });
    expect(again.batches.map((b) => b.id)).toEqual([batch!.id]);

    const cycle = `it-cycle-${run}`;
    const log = sampleLog(opts);
    const finish = async () => {
      await markBatchesUsed(ledger, dataDir, [batch!.id], cycle);
      return commitUsedOffsets(log, ledger);
    };
    expect(await finish()).toEqual({ 0: '53' });
    expect(await finish()).toEqual({});
    expect((await consumerLag(kafka, groupId, topic)).total).toBe(0);
    expect(await ledger.getBatch(batch!.id)).toMatchObject({
      status: 'used',
      retrainCycleId: cycle,
      filePath: snapshotPaths(dataDir, batch!.id).used,
    });
    expect(
      await takeBatches(sampleLog({ topic, deadLetterTopic, groupId }), ledger, {
        ...opts,
        maxWaitMs: 1000,
      }),
    ).toMatchObject({
      batches: [],
      consumed: 0,
    });
  });

  it('republishes on an explicit replay, and the copy is dead-lettered as a ledger duplicate', async () => {
    expect(
      await publishSamples({ ledger, producer }, samples.slice(20, 21), {
        topic,
        source: 'it',
        chunkSize: 10,
        replay: true,
      }),
    ).toEqual({
      published: 1,
      skipped: 0,
    });
    const taken = await takeBatches(sampleLog({ topic, deadLetterTopic, groupId }), ledger, {
      topic,
      deadLetterTopic,
      groupId,
      dataDir,
      maxRecords: 10,
      maxWaitMs: 20_000,
      maxRecordBytes: cfg.kafka.maxRecordBytes,
    });
    expect(taken.batches).toEqual([
      expect.objectContaining({ id: `${topic}-0-53-53`, validCount: 0, deadLetteredCount: 1 }),
    ]);
    const dead = await readAll(deadLetterTopic, 4);
    expect(dead[3]?.headers[DLQ_HEADER.reason]?.toString()).toBe('duplicate-in-ledger');
  });
});
