/**
 * Bounded batch read: from the group's committed offsets, up to maxRecords or maxWaitMs, then leave
 * the group WITHOUT committing. Offsets move only in commitBatch, after training used the batch, so a
 * crash anywhere before that re-reads the same records.
 */
import type { Kafka } from 'kafkajs';
import type { RawRecord } from '../../domain/stream/record';
import { consumerLag } from './offsets';

export interface BoundedRead {
  readonly topic: string;
  readonly groupId: string;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
}

export async function consumeBounded(kafka: Kafka, read: BoundedRead): Promise<RawRecord[]> {
  const { topic, groupId, maxRecords, maxWaitMs } = read;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new Error(`maxRecords must be a positive integer, got ${maxRecords}; check RETRAIN_MAX_RECORDS`);
  }
  // Nothing new: answer at once instead of joining the group and waiting out maxWaitMs.
  const lag = await consumerLag(kafka, groupId, topic);
  if (lag.total === 0) return [];
  const target = Math.min(maxRecords, lag.total);

  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
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
            for (const m of batch.messages) {
              if (records.length >= target) break;
              // A refetch after a rebalance may repeat offsets: keep each (partition, offset) once.
              const last = lastOffset.get(batch.partition);
              if (last !== undefined && BigInt(m.offset) <= last) continue;
              lastOffset.set(batch.partition, BigInt(m.offset));
              records.push({
                key: m.key,
                value: m.value,
                headers: (m.headers ?? {}) as RawRecord['headers'],
                partition: batch.partition,
                offset: m.offset,
              });
              // Moves the local fetch position only; with autoCommit off nothing reaches the group.
              resolveOffset(m.offset);
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
  return records;
}
