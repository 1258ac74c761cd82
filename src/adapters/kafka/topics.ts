/** Creates the samples and dead-letter topics: the broker has auto-creation off, so nothing else will. */
import type { Kafka } from 'kafkajs';
import { oneOffAdmin, type AdminUse } from './offsets';

export interface TopicSpec {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly partitions: number;
}

/** Idempotent: topics that exist are left as they are. Returns the topics it created. */
export async function ensureTopics(
  kafka: Kafka,
  spec: TopicSpec,
  use: AdminUse = oneOffAdmin(kafka),
): Promise<string[]> {
  return use(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      // Unlimited retention: a batch is an offset range, and a host without the snapshot file rebuilds
      // it from these records (checked against the ledger's sha256), however old the batch is.
      {
        topic: spec.topic,
        numPartitions: spec.partitions,
        configEntries: [{ name: 'retention.ms', value: '-1' }],
      },
      // Dead letters are rare and only inspected by people: one partition keeps them in order.
      { topic: spec.deadLetterTopic, numPartitions: 1 },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length === 0) return [];
    // createTopics ignores TOPIC_ALREADY_EXISTS, so a concurrent creator is not an error.
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
    return wanted.map((t) => t.topic);
  });
}
