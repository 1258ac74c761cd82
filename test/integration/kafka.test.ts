import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../src/config';

const cfg = loadConfig();
const kafka = new Kafka({ clientId: 'it-kafka', brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING });

describe('Kafka (KRaft, native)', () => {
  const topic = `it-${randomUUID()}`;
  const groupId = `it-group-${randomUUID()}`;
  const admin = kafka.admin();

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('does not create topics on first use (auto-creation is off)', async () => {
    const probe = `it-auto-${randomUUID()}`;
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    await expect(producer.send({ topic: probe, messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
    expect(await admin.listTopics()).not.toContain(probe);
  });

  it('creates a topic, produces idempotently, consumes in a group and commits offsets', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
      true,
    );

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: Buffer.from([i]) }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => {
            seen.push(message.key!.toString());
            if (seen.length === 10) {
              // Commit half way: the group resumes from here.
              await consumer.commitOffsets([
                { topic, partition, offset: String(Number(message.offset) + 1) },
              ]);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen.slice(0, 10)).toEqual(messages.slice(0, 10).map((m) => m.key));

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '10' })]);
    const latest = await admin.fetchTopicOffsets(topic);
    expect(latest[0]?.high).toBe('20');
  });
});
