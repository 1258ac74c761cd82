/**
 * The prediction log's Kafka side: one JSON record per predicted image on the predictions topic, keyed by
 * request id (so one request's images share a partition). A failed send rejects and the log retries it.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { PredictionEntry, PredictionSink } from '../../domain/serving/prediction-log';

export async function ensurePredictionsTopic(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return false;
    // createTopics ignores TOPIC_ALREADY_EXISTS, so a concurrent creator is not an error.
    return await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface KafkaPredictionSink extends PredictionSink {
  disconnect(): Promise<void>;
}

export function kafkaPredictionSink(kafka: Kafka, topic: string): KafkaPredictionSink {
  let producer: Producer | undefined;
  let topicReady = false;
  return {
    async send(entries: readonly PredictionEntry[]) {
      // Connected lazily, and the topic ensured on the first send that reaches the broker: the server
      // starts and answers while Kafka is down, and logging resumes when it is back.
      if (!topicReady) {
        await ensurePredictionsTopic(kafka, topic);
        topicReady = true;
      }
      if (!producer) {
        const p = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2 } });
        await p.connect();
        producer = p;
      }
      try {
        await producer.send({
          topic,
          acks: 1,
          messages: entries.map((e) => ({ key: e.requestId, value: JSON.stringify(e) })),
        });
      } catch (err) {
        // A fresh producer next time: kafkajs does not always recover a producer whose broker went away.
        const p = producer;
        producer = undefined;
        await p.disconnect().catch(() => undefined);
        throw err;
      }
    },
    async disconnect() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
