/**
 * What the stream half of the domain needs of the log it reads and writes (Kafka in production:
 * adapters/kafka/sample-log.ts). One SampleLog is one consumer group on the samples topic.
 */
import type { RawRecord, WireRecord } from './record';

export interface PartitionRange {
  readonly partition: number;
  readonly startOffset: string;
  readonly endOffset: string;
}

export interface PartitionLag {
  readonly partition: number;
  /** Next offset the group will read: its committed offset, or the log start when it has none. */
  readonly next: string;
  /** Log end offset (offset of the next record written). */
  readonly end: string;
  readonly lag: number;
}

export interface ConsumerLag {
  readonly topic: string;
  readonly groupId: string;
  readonly partitions: PartitionLag[];
  readonly total: number;
}

/** Where the broker appended one produce request's records of one partition (they follow baseOffset in order). */
export interface ProduceAck {
  readonly partition: number;
  readonly baseOffset: string;
}

/** Sends records to a topic in order, acknowledged by all in-sync replicas (the publisher and dead-letter sink). */
export interface RecordPublisher {
  /** Resolves once every message is acknowledged, with the broker's acks in request order. */
  send(topic: string, messages: readonly WireRecord[]): Promise<ProduceAck[]>;
  disconnect(): Promise<void>;
}

export interface SampleLog {
  readonly topic: string;
  readonly deadLetterTopic: string;
  /** Creates the samples and dead-letter topics when missing; returns the ones it created. */
  ensureTopics(): Promise<string[]>;
  /** Records waiting for the group, per partition. */
  lag(): Promise<ConsumerLag>;
  /** A bounded read from the group's committed offsets; commits nothing. `lag`: what lag() said, if known. */
  read(limits: {
    readonly maxRecords: number;
    readonly maxWaitMs: number;
    readonly lag?: ConsumerLag;
  }): Promise<RawRecord[]>;
  /**
   * The records of each range (offsets both inclusive), in the order asked, e.g. to rebuild batches.
   * Ranges on different partitions are read together.
   */
  readRanges(ranges: readonly PartitionRange[]): Promise<RawRecord[][]>;
  /** Moves the group's committed offsets forward to `next` (never back); returns the moves made. */
  commit(next: Readonly<Record<number, string>>): Promise<Record<number, string>>;
  openPublisher(): Promise<RecordPublisher>;
}
