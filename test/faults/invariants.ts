/**
 * The one invariants checker every case ends with. It reads the ledger, the batch snapshot files, the topic
 * (with its own consumer), Kafka's committed offsets, the model store and MLflow, and judges BY SAMPLE ID
 * against the suite's own request log (truth.ts):
 *   - every requested valid sample reached the topic and is in exactly one used, trained batch (ledger and
 *     snapshot file agree), none lost, none twice;
 *   - every batch is used by a recorded cycle, and per partition the batches tile the log without gaps;
 *   - the group's committed offsets equal the ledger's end offsets (and the log end: nothing unread);
 *   - the champion pointer, the archive, the promotion history and MLflow's `champion` alias agree;
 *   - every decided cycle has its finished MLflow run.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { consumerLag } from '../../src/adapters/kafka/offsets';
import type { MlflowClient } from '../../src/adapters/mlflow';
import type { Config } from '../../src/config';
import { Ledger } from '../../src/adapters/pg/ledger';
import { ModelStore, METADATA } from '../../src/domain/registry/store';
import { readBatchSnapshot } from '../../src/domain/stream/batch-snapshot';
import { readTopic } from './poison';
import type { RequestLog } from './requests';
import { judgeSamples, judgeTraining, type BatchEvidence } from './truth';

export interface InvariantResult {
  readonly samplesChecked: number;
  /** Used batches whose training evidence matched their snapshot. */
  readonly batchesTrainedChecked: number;
  readonly lost: string[];
  readonly duplicated: string[];
  readonly problems: string[];
}

export interface CheckDeps {
  readonly cfg: Config;
  readonly ledger: Ledger;
  readonly kafka: Kafka;
  readonly mlflow: MlflowClient;
}

const pool = (l: Ledger): Pool => l.pool;

async function contentHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await fs.readdir(dir)).filter((n) => n !== METADATA).sort()) {
    hash.update(`${name}\0`);
    hash.update(await fs.readFile(path.join(dir, name)));
  }
  return hash.digest('hex');
}

/** Model store and MLflow: one champion that every record agrees on, no half-written version anywhere. */
export async function checkChampion(deps: CheckDeps, problems: string[]): Promise<string | null> {
  const { cfg, mlflow } = deps;
  const store = new ModelStore(cfg.paths.modelsDir);
  const champion = await store.champion();
  const entries = await fs.readdir(store.archiveDir).catch(() => [] as string[]);
  const leftovers = entries.filter((n) => n.startsWith('.'));
  if (leftovers.length) problems.push(`model archive holds temp entries: ${leftovers.join(', ')}`);
  for (const v of await store.listVersions()) {
    const actual = await contentHash(store.versionPath(v.versionId));
    if (actual !== v.contentSha256)
      problems.push(`archived version ${v.versionId} does not match its sha256`);
  }
  const links = (await fs.readdir(store.modelsDir)).filter((n) => n.startsWith('.current_model.tmp'));
  if (links.length) problems.push(`models folder holds temp pointers: ${links.join(', ')}`);
  if (!champion) {
    problems.push('no champion');
    return null;
  }
  const last = (await store.history()).at(-1);
  if (last?.versionId !== champion.versionId) {
    problems.push(`promotion history ends at ${last?.versionId}, the pointer says ${champion.versionId}`);
  }
  const alias = await mlflow.registry.getModelVersionByAlias(cfg.mlflow.registeredModel, 'champion');
  const aliasVersionId = alias?.tags?.find((t) => t.key === 'model_version_id')?.value;
  if (aliasVersionId !== champion.versionId) {
    problems.push(
      `MLflow alias champion is version ${alias?.version} (model ${aliasVersionId}), the store's champion is ${champion.versionId}`,
    );
  }
  const lineage = champion.metadata.lineage.batchIds;
  const twice = lineage.filter((b, i) => lineage.indexOf(b) !== i);
  if (twice.length) problems.push(`champion's lineage lists batches twice: ${twice.join(', ')}`);
  return champion.versionId;
}

/** What the suite itself knows: its request log, and the batches each finished retrain reported. */
export interface SuiteTruth {
  readonly requests: RequestLog;
  readonly trained: ReadonlyMap<string, readonly string[]>;
}

export async function checkInvariants(deps: CheckDeps, truth: SuiteTruth): Promise<InvariantResult> {
  const { cfg, ledger, kafka, mlflow } = deps;
  const problems: string[] = [];
  const topic = cfg.kafka.topic;

  // Batches: ledger rows, their sample ids, and the ids in each snapshot file, all read directly.
  const { rows: batches } = await pool(ledger).query<{
    id: string;
    partition: number;
    start_offset: string;
    end_offset: string;
    status: string;
    retrain_cycle_id: string | null;
    file_path: string;
    valid_count: number;
  }>('SELECT * FROM batches WHERE topic = $1 ORDER BY partition, start_offset', [topic]);
  const evidence: BatchEvidence[] = [];
  for (const b of batches) {
    const { rows } = await pool(ledger).query<{ sample_id: string }>(
      'SELECT sample_id FROM batch_samples WHERE batch_id = $1',
      [b.id],
    );
    const snap = await readBatchSnapshot(b.file_path).catch((e: Error) => {
      problems.push(`batch ${b.id}: snapshot ${b.file_path} unreadable (${e.message})`);
      return undefined;
    });
    if (snap && snap.ids.length !== b.valid_count) {
      problems.push(`batch ${b.id}: ${snap.ids.length} ids in the snapshot, valid_count ${b.valid_count}`);
    }
    evidence.push({
      id: b.id,
      status: b.status,
      cycleId: b.retrain_cycle_id,
      ledgerIds: rows.map((r) => r.sample_id),
      snapshotIds: snap?.ids,
    });
  }
  const onTopic = await readTopic(kafka, topic, (m) => ({
    key: m.key,
    partition: m.partition,
    offset: m.offset,
  }));
  const verdict = judgeSamples({
    requested: truth.requests.requested,
    requestedCount: truth.requests.requestedCount,
    poisonOffsets: new Set(truth.requests.poisonRecords.map((p) => `${p.partition}:${p.offset}`)),
    topic: onTopic,
    batches: evidence,
    trained: truth.trained,
  });
  problems.push(...verdict.problems);

  // Cycles: every batch used by a recorded cycle; every decided cycle has its finished MLflow run.
  const { rows: cycles } = await pool(ledger).query<{
    id: string;
    decision: string;
    metrics: Record<string, unknown>;
  }>('SELECT id, decision, metrics FROM retrain_cycles');
  const training = judgeTraining(cycles, evidence);
  problems.push(...training.problems);
  const cycleIds = new Set(cycles.map((c) => c.id));
  for (const b of batches) {
    if (b.retrain_cycle_id && !cycleIds.has(b.retrain_cycle_id)) {
      problems.push(`batch ${b.id} is used by cycle ${b.retrain_cycle_id}, which the ledger does not record`);
    }
  }
  const experiment = await mlflow.tracking.getExperimentByName(cfg.mlflow.experiment);
  for (const c of cycles) {
    const runs = experiment
      ? await mlflow.tracking.findRunsByTag([experiment.experiment_id], 'cycle_id', c.id)
      : [];
    if (runs.length !== 1 || runs[0]!.info.status !== 'FINISHED') {
      problems.push(
        `cycle ${c.id} (${c.decision}) has ${runs.length} MLflow runs (${runs.map((r) => r.info.status).join(',')})`,
      );
    }
  }

  // Offsets: batches tile each partition from its start; committed = ledger end = log end.
  const lag = await consumerLag(kafka, cfg.kafka.consumerGroup, topic);
  const next = await ledger.nextOffsets(topic);
  for (const p of lag.partitions) {
    const own = batches.filter((b) => b.partition === p.partition);
    let expected = 0n;
    for (const b of own) {
      if (BigInt(b.start_offset) !== expected) {
        problems.push(
          `partition ${p.partition}: batch ${b.id} starts at ${b.start_offset}, expected ${expected} (gap or overlap)`,
        );
      }
      expected = BigInt(b.end_offset) + 1n;
    }
    const ledgerNext = next[p.partition] ?? '0';
    if (p.next !== ledgerNext) {
      problems.push(
        `partition ${p.partition}: committed offset ${p.next}, the ledger's end offset is ${ledgerNext}`,
      );
    }
    if (p.end !== ledgerNext) {
      problems.push(
        `partition ${p.partition}: log end ${p.end} but the ledger ends at ${ledgerNext} (records unread)`,
      );
    }
  }

  await checkChampion(deps, problems);
  return {
    samplesChecked: verdict.samplesChecked,
    batchesTrainedChecked: training.batchesChecked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    problems,
  };
}
