/** The SampleLog port over Kafka: one consumer group on the samples topic, plus its dead-letter topic. */
import type { Kafka } from 'kafkajs';
import type { PartitionRange, SampleLog } from '../../domain/stream/ports';
import type { RawRecord } from '../../domain/stream/record';
import { consumeBounded, readFrom } from './bounded-consumer';
import { adminSession, commitBatch, consumerLag, type AdminUse } from './offsets';
import { openProducer } from './producer';
import { ensureTopics } from './topics';

export interface SampleLogSpec {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  /** Partitions of the samples topic when ensureTopics creates it (default 1). */
  readonly partitions?: number;
}

/** Longest wait for the records of a range, all of which are already in the log. */
const RANGE_WAIT_MS = 30_000;

/** The log, and close() for its kept admin connection (one per worker, see adminSession). */
export function kafkaSampleLog(kafka: Kafka, spec: SampleLogSpec): SampleLog & { close(): Promise<void> } {
  const { topic, deadLetterTopic, groupId } = spec;
  const admin = adminSession(kafka);
  return {
    topic,
    deadLetterTopic,
    ensureTopics: () =>
      ensureTopics(kafka, { topic, deadLetterTopic, partitions: spec.partitions ?? 1 }, admin.use),
    lag: () => consumerLag(kafka, groupId, topic, admin.use),
    read: (limits) => consumeBounded(kafka, { topic, groupId, ...limits }, admin.use),
    readRanges: (ranges) => readRanges(kafka, admin.use, topic, groupId, ranges),
    commit: (next) => commitBatch(kafka, groupId, topic, next, admin.use),
    openPublisher: () => openProducer(kafka),
    close: admin.close,
  };
}

/**
 * Adjacent ranges of a partition (the batches of successive cycles) are read as one span, and each read
 * takes one span per partition through one reader group: a cycle's batches, one per partition, are one
 * read. A group join costs more than the fetch at these sizes (bench:scale: 3 reads in parallel ~2x one).
 */
async function readRanges(
  kafka: Kafka,
  use: AdminUse,
  topic: string,
  groupId: string,
  ranges: readonly PartitionRange[],
): Promise<RawRecord[][]> {
  const held = await use((a) => a.fetchTopicOffsets(topic));
  for (const { partition, startOffset, endOffset } of ranges) {
    const h = held.find((p) => p.partition === partition);
    if (!h || BigInt(startOffset) < BigInt(h.low) || BigInt(endOffset) >= BigInt(h.high)) {
      throw new Error(
        `${topic} partition ${partition} holds offsets ${h?.low ?? '?'}..${h ? BigInt(h.high) - 1n : '?'}, ` +
          `not ${startOffset}..${endOffset}: retention deleted them or the topic was recreated; ` +
          'the batch can only come from a host that still has its snapshot',
      );
    }
  }
  // Per partition, its spans: sorted ranges, each joined to the one before when they touch.
  const spans = new Map<number, { start: bigint; end: bigint }[]>();
  for (const r of [...ranges].sort((a, b) => Number(BigInt(a.startOffset) - BigInt(b.startOffset)))) {
    const list = spans.get(r.partition) ?? [];
    const last = list.at(-1);
    const [start, end] = [BigInt(r.startOffset), BigInt(r.endOffset)];
    if (last && start <= last.end + 1n) last.end = end > last.end ? end : last.end;
    else list.push({ start, end });
    spans.set(r.partition, list);
  }
  const records: RawRecord[] = [];
  for (let round = 0; ; round++) {
    const asked = [...spans].flatMap(([partition, list]) => {
      const span = list[round];
      return span ? [{ partition, start: span.start, end: span.end }] : [];
    });
    if (asked.length === 0) break;
    records.push(
      ...(await readFrom(kafka, use, {
        topic,
        readerOf: groupId,
        from: asked.map((a) => ({ partition: a.partition, offset: String(a.start) })),
        until: new Map(asked.map((a) => [a.partition, a.end + 1n])),
        target: asked.reduce((n, a) => n + Number(a.end - a.start + 1n), 0),
        maxWaitMs: RANGE_WAIT_MS,
      })),
    );
  }
  return ranges.map((r) => {
    const [start, end] = [BigInt(r.startOffset), BigInt(r.endOffset)];
    const got = records.filter(
      (rec) => rec.partition === r.partition && BigInt(rec.offset) >= start && BigInt(rec.offset) <= end,
    );
    const count = Number(end - start + 1n);
    if (got.length !== count) {
      throw new Error(
        `read ${got.length} of the ${count} records of ${topic} partition ${r.partition} offsets ` +
          `${r.startOffset}..${r.endOffset} within ${RANGE_WAIT_MS} ms; if the topic's retention deleted them, ` +
          'the batch can only come from a host that still has its snapshot',
      );
    }
    return got;
  });
}
