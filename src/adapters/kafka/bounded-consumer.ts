/**
 * Bounded batch read: from the group's committed offsets, up to maxRecords or maxWaitMs, WITHOUT
 * committing. Offsets move only in commitBatch, after training used the batch, so a crash anywhere
 * before that re-reads the same records.
 *
 * The read goes through a consumer group of its own, started at the app group's offsets and deleted
 * after: the app's group never has a member. A worker SIGKILLed mid-read used to leave its member in
 * that group until the session expired, and the retry's join and the offset commit waited it out (one
 * fault-suite run: 180 s). A reader group nobody else joins has nothing to wait for.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { ConsumerLag } from '../../domain/stream/ports';
import type { RawRecord } from '../../domain/stream/record';
import { commitOutsideGroup, consumerLag, oneOffAdmin, type AdminUse } from './offsets';

export interface BoundedRead {
  readonly topic: string;
  readonly groupId: string;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  /** The group's lag, when the caller counted it already (else counted here). */
  readonly lag?: ConsumerLag;
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
  // Nothing new: answer at once instead of joining a group and waiting out maxWaitMs.
  const lag = read.lag ?? (await consumerLag(kafka, groupId, topic, use));
  if (lag.total === 0) return [];
  const records = await readFrom(kafka, use, {
    topic,
    readerOf: groupId,
    from: lag.partitions.map((p) => ({ partition: p.partition, offset: p.next })),
    target: Math.min(maxRecords, lag.total),
    maxWaitMs,
  });
  if (records.length === 0) {
    // The lag said records are there; none arriving within maxWaitMs means the broker did not serve
    // them (e.g. it is restarting). An empty batch would end the cycle as "too few records": fail instead.
    throw new Error(
      `read 0 of ${lag.total} waiting records of ${topic} within ${maxWaitMs} ms (group ${groupId}); ` +
        'retry once the broker serves the topic',
    );
  }
  return records;
}

export interface ReadFrom {
  readonly topic: string;
  /** The app group the reader group is named after (for the broker's group list). */
  readonly readerOf: string;
  /** Where to start on each partition; partitions not listed are not read. */
  readonly from: readonly { readonly partition: number; readonly offset: string }[];
  /** Stop after this many records in all. */
  readonly target: number;
  /** Per partition, the first offset NOT to read (default: no end but target). */
  readonly until?: ReadonlyMap<number, bigint>;
  readonly maxWaitMs: number;
}

/**
 * Up to `target` records from the given offsets, as a contiguous run per partition, through a reader
 * group of its own. Its offsets are set before it has a member (partitions not to read at their end),
 * so the first fetch starts where asked; it is deleted afterwards.
 */
export async function readFrom(kafka: Kafka, use: AdminUse, req: ReadFrom): Promise<RawRecord[]> {
  const { topic, target, maxWaitMs } = req;
  const readerGroup = `${req.readerOf}.reader-${randomUUID().slice(0, 8)}`;
  const wanted = new Map(req.from.map((p) => [p.partition, BigInt(p.offset)]));
  await use(async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const starts = ends.map((p) => ({
      partition: p.partition,
      offset: String(wanted.get(p.partition) ?? BigInt(p.high)),
    }));
    await commitOutsideGroup(kafka, admin, readerGroup, topic, starts);
  });
  const consumer = kafka.consumer({
    groupId: readerGroup,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    // kafkajs restarts a crashed consumer by default, even after disconnect() was called; the activity's
    // retry reads again instead.
    retry: { restartOnFailure: async () => false },
  });
  const records: RawRecord[] = [];
  // Offsets before the start are never kept (a fetch cannot serve them, but a rebalance could repeat).
  const lastOffset = new Map([...wanted].map(([p, o]) => [p, o - 1n]));
  const full = () => records.length >= target;
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
            if (!wanted.has(batch.partition)) return;
            const until = req.until?.get(batch.partition);
            const room = target - records.length;
            // Once full, later fetches are ignored: per partition the kept records stay a contiguous prefix.
            const kept = freshMessages(batch.messages, lastOffset.get(batch.partition), room).filter(
              (m) => until === undefined || BigInt(m.offset) < until,
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
            if (full()) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    // Empty once the consumer left; a group the broker still holds expires with its offsets anyway.
    await use((admin) => admin.deleteGroups([readerGroup])).catch(() => undefined);
  }
  return records;
}
