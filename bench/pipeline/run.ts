/**
 * One benchmark run: a fresh topic, N valid records plus poison published, then taken as the retrain
 * workflow takes them (takeBatches), the result checked, and everything the run made removed again.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Config } from '../../src/config';
import { consumeBounded } from '../../src/adapters/kafka/bounded-consumer';
import { openProducer } from '../../src/adapters/kafka/producer';
import { kafkaSampleLog } from '../../src/adapters/kafka/sample-log';
import { ensureTopics } from '../../src/adapters/kafka/topics';
import type { Ledger } from '../../src/adapters/pg/ledger';
import { readBatchSnapshot } from '../../src/domain/stream/batch-snapshot';
import { DLQ_HEADER } from '../../src/domain/stream/dead-letter';
import type { StageTime, TakeStage } from '../../src/domain/stream/stage-clock';
import { takeBatches } from '../../src/domain/stream/take-batch';
import { deleteBenchRun } from './cleanup';
import { profiled } from './profile';
import { publishBenchRecords } from './records';
import { serverCpuMs, type ServerCpu } from './server-cpu';

export interface RunDeps {
  readonly cfg: Config;
  readonly kafka: Kafka;
  readonly ledger: Ledger;
}

export interface RunResult {
  readonly records: number;
  readonly poison: number;
  readonly recordBytes: number;
  readonly snapshotBytes: number;
  /** Publishing the valid records (publishSamples, ledger dedupe included). */
  readonly publish: StageTime;
  readonly stages: ReadonlyMap<TakeStage, StageTime>;
  /** takeBatches as a whole. */
  readonly take: StageTime;
  /** Kafka broker and PostgreSQL CPU during the take (their other clients included). */
  readonly serverCpuMs: ServerCpu | undefined;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

export async function runOnce(
  deps: RunDeps,
  opts: { readonly records: number; readonly cpuProfile?: string | undefined },
  log: (line: string) => void,
): Promise<RunResult> {
  const { cfg, kafka, ledger } = deps;
  const run = randomUUID().slice(0, 8);
  const topic = `bench-pipeline-${run}`;
  const deadLetterTopic = `${topic}.dlq`;
  const groupId = `bench-pipeline-${run}`;
  const readerGroupId = `${groupId}-dlq-reader`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-pipeline-'));
  // One producer per run: a producer that sent to an earlier run's topic fails once that topic is deleted.
  const producer = await openProducer(kafka);
  try {
    await ensureTopics(kafka, { topic, deadLetterTopic, partitions: 1 });
    log(`publishing ${opts.records} records (+ poison) to ${topic}`);
    const pub = await publishBenchRecords(
      { ledger, producer },
      { topic, run, count: opts.records, chunkSize: cfg.kafka.publishChunk },
    );

    log('taking them as one batch');
    const stages = new Map<TakeStage, StageTime>();
    const server0 = await serverCpuMs();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const taken = await profiled(opts.cpuProfile, () =>
      takeBatches(kafkaSampleLog(kafka, { topic, deadLetterTopic, groupId }), ledger, {
        topic,
        deadLetterTopic,
        groupId,
        dataDir,
        maxRecords: pub.total,
        maxWaitMs: 120_000,
        maxRecordBytes: cfg.kafka.maxRecordBytes,
        onStage: (stage, t) => {
          const sum = stages.get(stage) ?? { wallMs: 0, cpuMs: 0 };
          stages.set(stage, { wallMs: sum.wallMs + t.wallMs, cpuMs: sum.cpuMs + t.cpuMs });
        },
      }),
    );
    const take = { wallMs: performance.now() - t0, cpuMs: cpuMsSince(cpu0) };
    const server1 = await serverCpuMs();

    // A fast wrong answer is no answer: check what was taken before reporting any figure.
    const batch = taken.batches[0];
    if (taken.consumed !== pub.total || taken.deadLettered !== pub.poison || !batch) {
      throw new Error(
        `took ${taken.consumed} records with ${taken.deadLettered} dead letters, expected ${pub.total} with ${pub.poison}`,
      );
    }
    const snap = await readBatchSnapshot(batch.filePath);
    if (snap.set.count !== opts.records || snap.ids[0] !== pub.firstId || snap.ids.at(-1) !== pub.lastId) {
      throw new Error(
        `snapshot ${batch.filePath} does not hold the ${opts.records} published samples in order`,
      );
    }
    const inLedger = await ledger.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM batch_samples WHERE batch_id = $1',
      [batch.id],
    );
    if (Number(inLedger.rows[0]?.n) !== opts.records) {
      throw new Error(
        `ledger holds ${inLedger.rows[0]?.n} samples for ${batch.id}, expected ${opts.records}`,
      );
    }
    const dead = await consumeBounded(kafka, {
      topic: deadLetterTopic,
      groupId: readerGroupId,
      maxRecords: pub.poison,
      maxWaitMs: 20_000,
    });
    const reasons = dead.map((d) => d.headers[DLQ_HEADER.reason]?.toString());
    if (reasons.join() !== pub.poisonReasons.join()) {
      throw new Error(`dead letters say ${reasons.join(', ')}, expected ${pub.poisonReasons.join(', ')}`);
    }

    return {
      records: opts.records,
      poison: pub.poison,
      recordBytes: pub.recordBytes,
      snapshotBytes: (await fs.stat(batch.filePath)).size,
      publish: { wallMs: pub.wallMs, cpuMs: pub.cpuMs },
      stages,
      take,
      serverCpuMs:
        server0 && server1
          ? { kafka: server1.kafka - server0.kafka, postgres: server1.postgres - server0.postgres }
          : undefined,
    };
  } finally {
    await producer.disconnect();
    await deleteBenchRun(kafka, ledger, { topic, deadLetterTopic, groupIds: [groupId, readerGroupId] }).catch(
      (e: unknown) =>
        log(`cleanup failed: ${(e as Error).message}; delete topic ${topic} and its ledger rows by hand`),
    );
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
