/** Publishes and takes 20 000 records end to end and reports the rates (the figures in the README). */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { useStreamSuite } from '../support/sample-logs';
import { consumerLag } from '../../src/adapters/kafka/offsets';
import { openProducer } from '../../src/adapters/kafka/producer';
import { ensureTopics } from '../../src/adapters/kafka/topics';
import { IMAGE_BYTES } from '../../src/domain/data/types';
import { Ledger } from '../../src/adapters/pg/ledger';
import { readBatchSnapshot } from '../../src/domain/stream/batch-snapshot';
import { publishSamples } from '../../src/domain/stream/publish';
import { takeBatches } from '../../src/domain/stream/take-batch';

const N = 20_000;
const { cfg, kafka, sampleLog, run, topic, deadLetterTopic, groupId } = useStreamSuite('it-throughput');

it(`publishes and takes ${N} records`, async () => {
  const ledger = await Ledger.open(cfg.postgres);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'it-throughput-'));
  const producer = await openProducer(kafka);
  try {
    await ensureTopics(kafka, { topic, deadLetterTopic, partitions: 1 });
    const samples = Array.from({ length: N }, (_, i) => ({
      id: `tp-${run}-${i}`,
      label: i % 10,
      image: Uint8Array.from({ length: IMAGE_BYTES }, (_, p) => (p * 13 + i) % 256),
    }));

    let t0 = performance.now();
    const pub = await publishSamples({ ledger, producer }, samples, {
      topic,
      source: 'throughput-test',
      chunkSize: cfg.kafka.publishChunk,
    });
    const publishS = (performance.now() - t0) / 1000;
    expect(pub).toEqual({ published: N, skipped: 0 });
    expect((await consumerLag(kafka, groupId, topic)).total).toBe(N);

    t0 = performance.now();
    const taken = await takeBatches(sampleLog({ topic, deadLetterTopic, groupId }), ledger, {
      topic,
      deadLetterTopic,
      groupId,
      dataDir,
      maxRecords: N,
      maxWaitMs: 60_000,
      maxRecordBytes: cfg.kafka.maxRecordBytes,
    });
    const takeS = (performance.now() - t0) / 1000;
    expect(taken).toMatchObject({ consumed: N, deadLettered: 0 });
    const snap = await readBatchSnapshot(taken.batches[0]!.filePath);
    expect(snap.set.count).toBe(N);
    expect(snap.ids[N - 1]).toBe(samples[N - 1]!.id);
    const size = (await fs.stat(taken.batches[0]!.filePath)).size;

    console.log(
      `stream throughput, ${N} records of ${IMAGE_BYTES} B: publish ${publishS.toFixed(2)} s = ` +
        `${Math.round(N / publishS)} records/s (chunks of ${cfg.kafka.publishChunk}, ledger dedupe included); ` +
        `consume+validate+snapshot+ledger ${takeS.toFixed(2)} s = ${Math.round(N / takeS)} records/s; ` +
        `snapshot ${(size / 1e6).toFixed(1)} MB`,
    );
  } finally {
    // Keep the shared ledger small: this run's rows are of no use to anyone.
    await ledger.pool.query('DELETE FROM batches WHERE topic = $1', [topic]);
    await ledger.pool.query('DELETE FROM published_samples WHERE topic = $1', [topic]);
    await producer.disconnect();
    await ledger.close();
    await fs.rm(dataDir, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});
