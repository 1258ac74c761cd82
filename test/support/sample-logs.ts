import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../src/adapters/kafka/client';
import { loadConfig } from '../../src/config';
import { kafkaSampleLog } from '../../src/adapters/kafka/sample-log';

/**
 * kafkaSampleLog for a suite: each log keeps an admin connection (one per worker in production), so the
 * suite closes them after its tests or jest cannot exit.
 */
export function useSampleLogs(
  kafka: Kafka,
): (spec: Parameters<typeof kafkaSampleLog>[1]) => ReturnType<typeof kafkaSampleLog> {
  const logs: ReturnType<typeof kafkaSampleLog>[] = [];
  afterAll(() => Promise.all(logs.map((l) => l.close())));
  return (spec) => {
    const log = kafkaSampleLog(kafka, spec);
    logs.push(log);
    return log;
  };
}

/** A stream suite's own topic, dead-letter topic and group on the test stack, and its SampleLog factory. */
export function useStreamSuite(name: string) {
  const cfg = loadConfig();
  const kafka = createKafka(cfg.kafka, name);
  const run = randomUUID().slice(0, 8);
  const topic = `${name}-${run}`;
  return {
    cfg,
    kafka,
    sampleLog: useSampleLogs(kafka),
    run,
    topic,
    deadLetterTopic: `${topic}.dlq`,
    groupId: `${name}-group-${run}`,
  };
}
