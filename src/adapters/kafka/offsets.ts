/** Committed offsets and lag of a consumer group, read and moved with the admin API. */
import type { Admin, Kafka } from 'kafkajs';
import type { ConsumerLag } from '../../domain/stream/ports';

export type { ConsumerLag, PartitionLag } from '../../domain/stream/ports';

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs connects without loading cluster metadata, so the first group request finds no broker
    // and waits out a retry backoff (~300 ms, measured). Loading it first takes one short round trip.
    await admin.describeCluster();
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  // '-1' means the group never committed on that partition.
  return new Map(
    (t?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]),
  );
}

/** End offsets minus the group's committed offsets (from the log start where nothing is committed). */
export function consumerLag(kafka: Kafka, groupId: string, topic: string): Promise<ConsumerLag> {
  return withAdmin(kafka, async (admin) => {
    const [ends, done] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      committed(admin, groupId, topic),
    ]);
    const partitions = ends
      .map((p) => {
        const low = BigInt(p.low);
        const end = BigInt(p.high);
        const c = done.get(p.partition);
        // A committed offset below the log start (retention deleted records) resumes at the start.
        const next = c === undefined || c < low ? low : c;
        return {
          partition: p.partition,
          next: String(next),
          end: String(end),
          lag: Number(end > next ? end - next : 0n),
        };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic, groupId, partitions, total: partitions.reduce((s, p) => s + p.lag, 0) };
  });
}

/**
 * Moves the group's committed offsets forward to `next` (partition → offset of the first record NOT
 * yet used). Idempotent and monotonic: a partition already at or past its target is left alone, so a
 * late retry of an older commit cannot rewind the group. Needs the group to have no active member,
 * which holds because the bounded consumer leaves the group before returning.
 */
export function commitBatch(
  kafka: Kafka,
  groupId: string,
  topic: string,
  next: Readonly<Record<number, string>>,
): Promise<Record<number, string>> {
  return withAdmin(kafka, async (admin) => {
    const done = await committed(admin, groupId, topic);
    const moves = Object.entries(next)
      .map(([p, o]) => ({ partition: Number(p), offset: o }))
      .filter((m) => {
        const c = done.get(m.partition);
        return c === undefined || c < BigInt(m.offset);
      });
    if (moves.length) await admin.setOffsets({ groupId, topic, partitions: moves });
    return Object.fromEntries(moves.map((m) => [m.partition, m.offset]));
  });
}
