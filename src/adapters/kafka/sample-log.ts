/** The SampleLog port over Kafka: one consumer group on the samples topic, plus its dead-letter topic. */
import type { Kafka } from 'kafkajs';
import type { SampleLog } from '../../domain/stream/ports';
import { consumeBounded } from './bounded-consumer';
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
    commit: (next) => commitBatch(kafka, groupId, topic, next, admin.use),
    openPublisher: () => openProducer(kafka),
    close: admin.close,
  };
}
