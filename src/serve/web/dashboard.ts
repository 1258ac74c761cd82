/**
 * The dashboard's content, read from where the pipeline keeps it: the model store (champion, promotion
 * history, every version's metrics), the ledger (cycles, dead letters, web feedback), Kafka (consumer lag)
 * and MLflow (run links). Each part is read on its own, so a stopped Kafka still leaves the rest visible.
 */
import type { Config } from '../../config';
import { lag } from '../../client/status';
import type { Ledger } from '../../adapters/pg/ledger';
import type { RecordedCycle } from '../../domain/ledger/types';
import type { ModelStore } from '../../domain/registry/store';
import type {
  ChampionView,
  CycleView,
  Dashboard,
  Part,
  ServiceAccuracyView,
  VersionPoint,
} from './api-types';
import { cycleLinks, type RunIndex } from './links';

/** Cycles the dashboard lists and charts. */
export const DASHBOARD_CYCLES = 30;

export async function part<T>(fn: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function cycleView(cfg: Config, c: RecordedCycle, index: RunIndex | null): CycleView {
  const m = c.metrics;
  return {
    ...cycleLinks(cfg, c.id, index, m.mlflow_run_id),
    recordedAt: c.recordedAt.toISOString(),
    decision: c.decision,
    reason: c.reason,
    championBefore: c.championBefore,
    championAfter: c.championAfter,
    consumed: num(m.consumed),
    valid: num(m.valid),
    deadLettered: num(m.dead_lettered),
    prequentialAccuracy: num(m.prequential_accuracy),
    championValidationAccuracy: num(m.champion_validation_accuracy),
    challengerValidationAccuracy: num(m.challenger_validation_accuracy),
  };
}

export interface DashboardSources {
  readonly cfg: Config;
  readonly store: ModelStore;
  readonly ledger: () => Promise<Ledger>;
  /** MLflow runs of the retrain cycles; rejects when MLflow cannot be reached (links are then left out). */
  readonly runIndex: () => Promise<RunIndex>;
}

async function championView(src: DashboardSources, index: RunIndex | null): Promise<ChampionView | null> {
  const champion = await src.store.champion();
  if (!champion) return null;
  const { versionId, metadata } = champion;
  const promotion = (await src.store.history()).filter((p) => p.versionId === versionId).at(-1);
  let why = metadata.lineage.parentVersionId
    ? `fine-tuned from ${metadata.lineage.parentVersionId}`
    : 'trained from scratch by the bootstrap workflow';
  let promotedBy: ChampionView['promotedBy'] = null;
  // The ledger knows the promoting cycle and its reason; without it the metadata's story stands.
  const ledger = await src.ledger().catch(() => undefined);
  const cycleId = ledger && (await ledger.getModelVersion(versionId))?.retrainCycleId;
  const cycle = cycleId ? await ledger.getRetrainCycle(cycleId) : undefined;
  if (cycle) {
    why = `promoted by a retrain cycle: ${cycle.reason}`;
    promotedBy = cycleLinks(src.cfg, cycle.id, index, cycle.metrics.mlflow_run_id);
  }
  return {
    versionId,
    createdAt: metadata.createdAt,
    promotedAt: promotion?.promotedAt ?? null,
    why,
    promotedBy,
    validationAccuracy: num(metadata.metrics.validation_accuracy),
    testAccuracy: num(metadata.metrics.test_accuracy),
    parentVersionId: metadata.lineage.parentVersionId,
    batches: metadata.lineage.batchIds.length,
  };
}

/** Every champion so far in promotion order, with the accuracy it was promoted with. */
async function versionPoints(store: ModelStore): Promise<VersionPoint[]> {
  const [history, versions] = await Promise.all([store.history(), store.listVersions()]);
  const byId = new Map(versions.map((v) => [v.versionId, v]));
  return history.map((p) => {
    const m = byId.get(p.versionId)?.metrics ?? {};
    return {
      versionId: p.versionId,
      promotedAt: p.promotedAt,
      validationAccuracy: num(m.validation_accuracy),
      testAccuracy: num(m.test_accuracy),
    };
  });
}

async function serviceAccuracy(ledger: Ledger): Promise<ServiceAccuracyView> {
  const rows = await ledger.serviceAccuracy();
  return {
    labelled: rows.reduce((n, r) => n + r.labelled, 0),
    correct: rows.reduce((n, r) => n + r.correct, 0),
    byVersion: rows.map(({ modelVersion, labelled, correct }) => ({ modelVersion, labelled, correct })),
  };
}

export async function readDashboard(src: DashboardSources): Promise<Dashboard> {
  const { cfg } = src;
  const index = await src.runIndex().catch(() => null);
  const [champion, versions, cycles, lagPart, deadLetters, accuracy] = await Promise.all([
    part(() => championView(src, index)),
    part(() => versionPoints(src.store)),
    part(async () =>
      (await (await src.ledger()).recentCycles(DASHBOARD_CYCLES)).map((c) => cycleView(cfg, c, index)),
    ),
    part(async () => {
      const l = await lag(cfg);
      return { total: l.total, groupId: l.groupId, topicExists: l.topicExists };
    }),
    part(async () => (await src.ledger()).deadLetterCounts({ topic: cfg.kafka.topic })),
    part(async () => serviceAccuracy(await src.ledger())),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    refreshMs: cfg.web.refreshMs,
    topic: cfg.kafka.topic,
    champion,
    versions,
    cycles,
    lag: lagPart,
    deadLetters,
    serviceAccuracy: accuracy,
    links: {
      temporalUi: `http://127.0.0.1:${cfg.temporal.uiPort}/namespaces/${encodeURIComponent(cfg.temporal.namespace)}/workflows`,
      mlflowUi: cfg.mlflow.trackingUri,
    },
  };
}
