/** The SampleLog port over Kafka: one consumer group on the samples topic, plus its dead-letter topic. */
import type { Kafka } from 'kafkajs';
import type { SampleLog } from '../../domain/stream/ports';
import { consumeBounded } from './bounded-consumer';
import { commitBatch, consumerLag } from './offsets';
import { openProducer } from './producer';
import { ensureTopics } from './topics';

export interface SampleLogSpec {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  /** Partitions of the samples topic when ensureTopics creates it (default 1). */
  readonly partitions?: number;
}

export function kafkaSampleLog(kafka: Kafka, spec: SampleLogSpec): SampleLog {
  const { topic, deadLetterTopic, groupId } = spec;
  return {
    topic,
    deadLetterTopic,
    ensureTopics: () => ensureTopics(kafka, { topic, deadLetterTopic, partitions: spec.partitions ?? 1 }),
    lag: () => consumerLag(kafka, groupId, topic),
    read: (limits) => consumeBounded(kafka, { topic, groupId, ...limits }),
    commit: (next) => commitBatch(kafka, groupId, topic, next),
    openPublisher: () => openProducer(kafka),
  };
}
