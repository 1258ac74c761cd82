/**
 * Everything `status` shows, gathered side by side. Each part reports its own failure, so a stopped Kafka
 * still leaves the champion and the ledger visible.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { createKafka } from '../adapters/kafka/client';
import { consumerLag } from '../adapters/kafka/offsets';
import { Ledger } from '../adapters/pg/ledger';
import { createPool } from '../adapters/pg/pool';
import { ModelStore } from '../domain/registry/store';
import { describeSchedule, scheduleId, scheduleState, SCHEDULE_NAMES, type ScheduleState } from './schedules';

export type Part<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface ChampionStatus {
  readonly versionId: string;
  readonly createdAt: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly parentVersionId: string | null;
  readonly batches: number;
}

export interface CycleSummary {
  readonly id: string;
  readonly decision: string;
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly recordedAt: Date;
}

export interface LagStatus {
  readonly total: number;
  readonly topic: string;
  readonly groupId: string;
  readonly topicExists: boolean;
}

export interface PipelineStatus {
  readonly champion: Part<ChampionStatus | null>;
  readonly lag: Part<LagStatus>;
  readonly cycles: Part<CycleSummary[]>;
  readonly schedules: Part<ScheduleState[]>;
}

async function part<T>(fn: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

async function champion(cfg: Config): Promise<ChampionStatus | null> {
  const c = await new ModelStore(cfg.paths.modelsDir).champion();
  if (!c) return null;
  return {
    versionId: c.versionId,
    createdAt: c.metadata.createdAt,
    metrics: c.metadata.metrics,
    parentVersionId: c.metadata.lineage.parentVersionId,
    batches: c.metadata.lineage.batchIds.length,
  };
}

/** From the ledger's listing, on a pool of its own: read-only, so no migration (lock) on the way. */
async function recentCycles(cfg: Config, limit: number): Promise<CycleSummary[]> {
  const ledger = new Ledger(createPool(cfg.postgres, 1));
  try {
    return await ledger.recentCycles(limit);
  } finally {
    await ledger.close();
  }
}

export async function lag(cfg: Config): Promise<LagStatus> {
  const kafka = createKafka(cfg.kafka, `${cfg.kafka.clientId}-status`);
  // Before the first stream the topic does not exist: no lag, not an error (and no kafkajs error log).
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  const base = { topic: cfg.kafka.topic, groupId: cfg.kafka.consumerGroup };
  if (!topics.includes(cfg.kafka.topic)) return { ...base, total: 0, topicExists: false };
  const l = await consumerLag(kafka, cfg.kafka.consumerGroup, cfg.kafka.topic);
  return { ...base, total: l.total, topicExists: true };
}

export async function pipelineStatus(
  cfg: Config,
  client: Client | undefined,
  options: { cycles?: number; scheduleIdPrefix?: string } = {},
): Promise<PipelineStatus> {
  const [c, l, cy, s] = await Promise.all([
    part(() => champion(cfg)),
    part(() => lag(cfg)),
    part(() => recentCycles(cfg, options.cycles ?? 5)),
    part(async () => {
      if (!client) throw new Error('Temporal is not reachable');
      const prefix = { idPrefix: options.scheduleIdPrefix };
      return Promise.all(
        SCHEDULE_NAMES.map(async (name) =>
          scheduleState(name, scheduleId(name, prefix), await describeSchedule(client, name, prefix)),
        ),
      );
    }),
  ]);
  return { champion: c, lag: l, cycles: cy, schedules: s };
}
