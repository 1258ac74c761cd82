/**
 * Bounded batch read: from the group's committed offsets, up to maxRecords or maxWaitMs, then leave
 * the group WITHOUT committing. Offsets move only in commitBatch, after training used the batch, so a
 * crash anywhere before that re-reads the same records.
 */
import type { Kafka } from 'kafkajs';
import type { RawRecord } from '../../domain/stream/record';
import { consumerLag, oneOffAdmin, type AdminUse } from './offsets';

export interface BoundedRead {
  readonly topic: string;
  readonly groupId: string;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  /** Records waiting for the group, when the caller counted them already (else counted here). */
  readonly waiting?: number;
}

/**
 * The messages of one fetched batch to keep: those after `lastKept` (a refetch after a rebalance may
 * repeat offsets, and each (partition, offset) is kept once), at most `room` of them. Offsets rise
 * within a batch, so only the leading repeats need comparing.
 */
export function freshMessages<M extends { readonly offset: string }>(
  messages: readonly M[],
  lastKept: bigint | undefined,
  room: number,
): M[] {
  let start = 0;
  if (lastKept !== undefined) {
    while (start < messages.length && BigInt(messages[start]!.offset) <= lastKept) start++;
  }
  return messages.slice(start, start + Math.max(0, room));
}

export async function consumeBounded(
  kafka: Kafka,
  read: BoundedRead,
  use: AdminUse = oneOffAdmin(kafka),
): Promise<RawRecord[]> {
  const { topic, groupId, maxRecords, maxWaitMs } = read;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new Error(`maxRecords must be a positive integer, got ${maxRecords}; check RETRAIN_MAX_RECORDS`);
  }
  // Nothing new: answer at once instead of joining the group and waiting out maxWaitMs.
  const waiting = read.waiting ?? (await consumerLag(kafka, groupId, topic, use)).total;
  if (waiting === 0) return [];
  const target = Math.min(maxRecords, waiting);

  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    // kafkajs restarts a crashed consumer by default, even after disconnect() was called: a broker restart
    // mid-read left a ghost member holding the partitions, and every later read got none (fault suite).
    // The activity's retry reads again instead.
    retry: { restartOnFailure: async () => false },
  });
  const records: RawRecord[] = [];
  const lastOffset = new Map<number, bigint>();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(resolve, maxWaitMs);
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            // Once full, later fetches are ignored: per partition the kept records stay a contiguous prefix.
            const kept = freshMessages(
              batch.messages,
              lastOffset.get(batch.partition),
              target - records.length,
            );
            for (const m of kept) {
              records.push({
                key: m.key,
                value: m.value,
                headers: (m.headers ?? {}) as RawRecord['headers'],
                partition: batch.partition,
                offset: m.offset,
              });
            }
            const last = kept.at(-1);
            if (last) {
              lastOffset.set(batch.partition, BigInt(last.offset));
              // Moves the local fetch position only; with autoCommit off nothing reaches the group.
              // Once per batch: resolving every message cost ~60 ms per 50 000 records (profiled).
              resolveOffset(last.offset);
            }
            if (records.length >= target) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (records.length === 0) {
    // The lag said records are there. Reading none means the group did not hand us the partitions,
    // e.g. a member that vanished in a broker restart still holds them until its session times out.
    // An empty batch would end the cycle as "too few records", so fail and let the retry read again.
    throw new Error(
      `read 0 of ${waiting} waiting records of ${topic} within ${maxWaitMs} ms (group ${groupId} gave ` +
        'this consumer no partitions yet); retry once the group has rebalanced',
    );
  }
  return records;
}
