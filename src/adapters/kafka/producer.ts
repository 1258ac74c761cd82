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

export interface RecordProducer {
  send(topic: string, messages: readonly ProducedMessage[]): Promise<void>;
  disconnect(): Promise<void>;
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
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
