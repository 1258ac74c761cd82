/**
 * Idempotent producer: acks from all in-sync replicas and one request in flight, so broker-side
 * retries within a session neither duplicate nor reorder records.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { RecordHeaders } from '../../domain/stream/record';

export interface ProducedMessage {
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
}

/** Where the broker appended one produce request's records of one partition (they follow baseOffset in order). */
export interface ProduceAck {
  readonly partition: number;
  readonly baseOffset: string;
}

export interface RecordProducer {
  /** Resolves once every message is acknowledged, with the broker's acks in request order. */
  send(topic: string, messages: readonly ProducedMessage[]): Promise<ProduceAck[]>;
  disconnect(): Promise<void>;
}

/** Below the broker's default 1 MiB message.max.bytes, which caps one partition's record batch. */
const MAX_REQUEST_BYTES = 512 * 1024;

function approxBytes(m: ProducedMessage): number {
  let n = 70 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers)) {
    for (const x of Array.isArray(v) ? v : [v]) n += k.length + (x?.length ?? 0) + 4;
  }
  return n;
}

/** Consecutive slices small enough for one produce request, in order. */
export function splitBySize(
  messages: readonly ProducedMessage[],
  limit = MAX_REQUEST_BYTES,
): ProducedMessage[][] {
  const out: ProducedMessage[][] = [];
  let cur: ProducedMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const b = approxBytes(m);
    if (cur.length && size + b > limit) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(m);
    size += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

export async function openProducer(kafka: Kafka): Promise<RecordProducer> {
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // The Java client's partitioner: same key → same partition as Java/Python producers pick.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async send(topic, messages) {
      const acks: ProduceAck[] = [];
      for (const part of splitBySize(messages)) {
        const meta = await producer.send({
          topic,
          acks: -1,
          messages: part.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
        // baseOffset is typed optional: acks=-1 always returns it, a request without acks would not.
        for (const m of meta)
          if (m.baseOffset !== undefined) acks.push({ partition: m.partition, baseOffset: m.baseOffset });
      }
      return acks;
    },
    disconnect: () => producer.disconnect(),
  };
}
