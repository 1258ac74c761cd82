/** kafkajs client from config: brokers, client id, and SASL/TLS for deployments that need them. */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { Config } from '../../config';

export function createKafka(cfg: Config['kafka'], clientId = cfg.clientId): Kafka {
  return new Kafka({
    clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    sasl: cfg.sasl as SASLOptions | undefined,
    // kafkajs logs every retry and rebalance at INFO; callers get errors as rejections instead.
    logLevel: logLevel.ERROR,
    retry: { retries: 5 },
  });
}
