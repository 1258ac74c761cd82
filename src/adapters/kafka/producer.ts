/**
 * Idempotent producer: acks from all in-sync replicas and one request in flight, so broker-side
 * retries within a session neither duplicate nor reorder records.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { ProduceAck, RecordPublisher } from '../../domain/stream/ports';
import type { WireRecord } from '../../domain/stream/record';

/** Below the broker's default 1 MiB message.max.bytes, which caps one partition's record batch. */
const MAX_REQUEST_BYTES = 512 * 1024;

function approxBytes(m: WireRecord): number {
  let n = 70 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers)) {
    for (const x of Array.isArray(v) ? v : [v]) n += k.length + (x?.length ?? 0) + 4;
  }
  return n;
}

/** Consecutive slices small enough for one produce request, in order. */
export function splitBySize(messages: readonly WireRecord[], limit = MAX_REQUEST_BYTES): WireRecord[][] {
  const out: WireRecord[][] = [];
  let cur: WireRecord[] = [];
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

export async function openProducer(kafka: Kafka): Promise<RecordPublisher> {
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
