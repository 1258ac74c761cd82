/**
 * Poison records mixed into the stream, each with the dead-letter reason the consumer must give it, and
 * a reader of the dead-letter topic to check them by source offset.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { DLQ_HEADER } from '../../src/domain/stream/dead-letter';
import { HEADER, SCHEMA_V1, type PoisonReason } from '../../src/domain/stream/record';
import { IMAGE_BYTES } from '../../src/domain/data/types';
import { waitFor } from './wait';

interface PoisonSpec {
  readonly what: string;
  readonly reason: PoisonReason;
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string | Buffer>;
}

export interface SentPoison extends PoisonSpec {
  readonly partition: number;
  readonly offset: string;
}

const good = (label = '3') => ({
  [HEADER.schema]: SCHEMA_V1,
  [HEADER.label]: label,
  [HEADER.source]: 'faults',
});
const pixels = () => Buffer.alloc(IMAGE_BYTES, 7);

/**
 * @param tag makes the new ids unique to this run.
 * @param takenId a valid sample id the ledger already holds in a batch (duplicate across batches).
 * @returns the poison plus one valid extra sample (the first copy of the in-batch duplicate).
 */
export function poisonSpecs(tag: string, takenId: string, maxRecordBytes: number) {
  const dup = `extra-${tag}-dup`;
  // Not poison: sent through the same path, so it carries the reason its second copy must get.
  const validExtra: PoisonSpec = {
    what: 'valid extra (first copy)',
    reason: 'duplicate-in-batch',
    key: dup,
    value: pixels(),
    headers: good('4'),
  };
  const poison: PoisonSpec[] = [
    {
      what: 'wrong value length',
      reason: 'wrong-value-length',
      key: `p-${tag}-len`,
      value: Buffer.alloc(100, 1),
      headers: good(),
    },
    {
      what: 'label out of range',
      reason: 'label-out-of-range',
      key: `p-${tag}-label`,
      value: pixels(),
      headers: good('12'),
    },
    {
      what: 'schema header missing',
      reason: 'schema-missing',
      key: `p-${tag}-noschema`,
      value: pixels(),
      headers: { [HEADER.label]: '1', [HEADER.source]: 'faults' },
    },
    {
      what: 'unknown schema',
      reason: 'schema-unknown',
      key: `p-${tag}-schema`,
      value: pixels(),
      headers: { ...good(), [HEADER.schema]: 'mnist-sample/v9' },
    },
    {
      what: 'empty value',
      reason: 'empty-value',
      key: `p-${tag}-empty`,
      value: Buffer.alloc(0),
      headers: good(),
    },
    {
      what: 'oversized value',
      reason: 'oversized-value',
      key: `p-${tag}-big`,
      value: Buffer.alloc(maxRecordBytes + 1, 2),
      headers: good(),
    },
    {
      what: 'garbage bytes',
      reason: 'garbage',
      key: Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
      value: randomBytes(300),
      headers: {},
    },
    {
      what: 'duplicate id (already in a batch)',
      reason: 'duplicate-in-ledger',
      key: takenId,
      value: pixels(),
      headers: good(),
    },
    {
      what: 'duplicate id (same batch)',
      reason: 'duplicate-in-batch',
      key: dup,
      value: pixels(),
      headers: good('4'),
    },
  ];
  return { validExtra, validExtraId: dup, poison };
}

/** Sends records one by one (so each offset is known), the valid extra first. */
export async function sendPoison(
  kafka: Kafka,
  topic: string,
  specs: readonly PoisonSpec[],
): Promise<SentPoison[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: SentPoison[] = [];
  try {
    for (const s of specs) {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: s.key, value: s.value, headers: s.headers }],
      });
      sent.push({ ...s, partition: meta!.partition, offset: meta!.baseOffset ?? '?' });
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

export interface DeadLetter {
  readonly reason: string;
  readonly partition: string;
  readonly offset: string;
}

/** Every record of a topic up to its current log end, read with the suite's own throwaway group. */
export async function readTopic<T>(
  kafka: Kafka,
  topic: string,
  map: (m: { key: string; partition: number; offset: string; header(k: string): string }) => T,
): Promise<T[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: T[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `faults-reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        out.push(
          map({
            key: message.key?.toString() ?? '',
            partition,
            offset: message.offset,
            header: (k) => message.headers?.[k]?.toString() ?? '',
          }),
        );
      },
    });
    await waitFor(`${total} records from ${topic}`, () => out.length >= total, { timeoutMs: 120_000 });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Every record of the dead-letter topic. */
export function readDeadLetters(kafka: Kafka, topic: string): Promise<DeadLetter[]> {
  return readTopic(kafka, topic, (m) => ({
    reason: m.header(DLQ_HEADER.reason),
    partition: m.header(DLQ_HEADER.sourcePartition),
    offset: m.header(DLQ_HEADER.sourceOffset),
  }));
}
