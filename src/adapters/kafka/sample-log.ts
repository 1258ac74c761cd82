/** The SampleLog port over Kafka: one consumer group on the samples topic, plus its dead-letter topic. */
import type { Kafka } from 'kafkajs';
import type { SampleLog } from '../../domain/stream/ports';
import { consumeBounded, readFrom } from './bounded-consumer';
import { adminSession, commitBatch, consumerLag } from './offsets';
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
    async readRange(partition, startOffset, endOffset) {
      const count = Number(BigInt(endOffset) - BigInt(startOffset) + 1n);
      const held = (await admin.use((a) => a.fetchTopicOffsets(topic))).find(
        (p) => p.partition === partition,
      );
      if (!held || BigInt(startOffset) < BigInt(held.low) || BigInt(endOffset) >= BigInt(held.high)) {
        throw new Error(
          `${topic} partition ${partition} holds offsets ${held?.low ?? '?'}..${held ? BigInt(held.high) - 1n : '?'}, ` +
            `not ${startOffset}..${endOffset}: retention deleted them or the topic was recreated; ` +
            'the batch can only come from a host that still has its snapshot',
        );
      }
      const records = await readFrom(kafka, admin.use, {
        topic,
        readerOf: groupId,
        from: [{ partition, offset: startOffset }],
        until: new Map([[partition, BigInt(endOffset) + 1n]]),
        target: count,
        maxWaitMs: RANGE_WAIT_MS,
      });
      if (records.length !== count) {
        throw new Error(
          `read ${records.length} of the ${count} records of ${topic} partition ${partition} offsets ` +
            `${startOffset}..${endOffset} within ${RANGE_WAIT_MS} ms; if the topic's retention deleted them, ` +
            'the batch can only come from a host that still has its snapshot',
        );
      }
      return records;
    },
    commit: (next) => commitBatch(kafka, groupId, topic, next, admin.use),
    openPublisher: () => openProducer(kafka),
    close: admin.close,
  };
}
