/**
 * The suite's own truth about samples, judged without the app's bookkeeping: what the suite asked to publish
 * (its request log), what the topic holds (read back with the suite's own consumer), and where each id
 * ended up (ledger rows and snapshot files read directly, and the batches each finished retrain reported
 * from Temporal). Pure: no I/O, so the judgement itself is unit-tested (test/unit/faults/truth.test.ts).
 */
import { expectedFedDigest } from '../../src/domain/cycle/training-evidence';

/** A record on the sample topic as the suite's own consumer read it. */
export interface TopicRecord {
  readonly key: string;
  readonly partition: number;
  readonly offset: string;
}

/** A batch as the ledger lists it, with its sample ids (batch_samples) and its snapshot file's ids. */
export interface BatchEvidence {
  readonly id: string;
  readonly status: string;
  readonly cycleId: string | null;
  readonly ledgerIds: readonly string[];
  /** undefined when the snapshot file could not be read. */
  readonly snapshotIds: readonly string[] | undefined;
}

export interface SampleEvidence {
  /** Every valid id the suite asked to publish, in request order. */
  readonly requested: readonly string[];
  /** How many valid samples the suite asked for in all (sum of its stream counts + valid extras). */
  readonly requestedCount: number;
  /** Source offsets (`partition:offset`) of the poison records the suite sent. */
  readonly poisonOffsets: ReadonlySet<string>;
  readonly topic: readonly TopicRecord[];
  readonly batches: readonly BatchEvidence[];
  /** Batch ids each finished retrain reported (its workflow result), per retrain workflow. */
  readonly trained: ReadonlyMap<string, readonly string[]>;
}

export interface SampleVerdict {
  readonly samplesChecked: number;
  readonly lost: string[];
  readonly duplicated: string[];
  readonly problems: string[];
}

const add = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);

export function judgeSamples(e: SampleEvidence): SampleVerdict {
  const problems: string[] = [];
  const requested = new Set(e.requested);
  if (requested.size !== e.requested.length) {
    problems.push(`the request log names ${e.requested.length - requested.size} ids twice`);
  }
  if (e.requested.length !== e.requestedCount) {
    problems.push(
      `the suite asked for ${e.requestedCount} samples but its log lists ${e.requested.length} ids`,
    );
  }

  // The topic: every requested id reached it; nothing else is there but the suite's poison.
  const onTopic = new Map<string, number>();
  for (const r of e.topic) {
    if (requested.has(r.key)) onTopic.set(r.key, (onTopic.get(r.key) ?? 0) + 1);
    else if (!e.poisonOffsets.has(`${r.partition}:${r.offset}`)) {
      problems.push(`topic record ${r.partition}:${r.offset} (key ${r.key}) was never asked for`);
    }
  }
  const neverSent = e.requested.filter((id) => !onTopic.has(id));
  if (neverSent.length) {
    problems.push(`${neverSent.length} requested ids never reached the topic, e.g. ${neverSent[0]}`);
  }

  // Where each id went: ledger batches and snapshot files, counted separately.
  const inLedger = new Map<string, string[]>();
  const inSnapshot = new Map<string, string[]>();
  const usedBatches = new Set<string>();
  for (const b of e.batches) {
    if (b.status === 'used' && b.cycleId) usedBatches.add(b.id);
    else problems.push(`batch ${b.id} is ${b.status}${b.cycleId ? '' : ' with no cycle'}, not used`);
    for (const id of b.ledgerIds) add(inLedger, id, b.id);
    if (b.snapshotIds === undefined) problems.push(`batch ${b.id}: snapshot unreadable`);
    else {
      for (const id of b.snapshotIds) add(inSnapshot, id, b.id);
      const a = [...b.snapshotIds].sort().join(',');
      if (a !== [...b.ledgerIds].sort().join(',')) {
        problems.push(
          `batch ${b.id}: snapshot ids differ from the ledger's (${b.snapshotIds.length} vs ${b.ledgerIds.length})`,
        );
      }
    }
  }
  // Training: a batch reported by two retrains was trained twice.
  const trainedBy = new Map<string, string[]>();
  for (const [retrain, batchIds] of e.trained) for (const b of batchIds) add(trainedBy, b, retrain);
  const trainedTwice = new Set([...trainedBy].filter(([, r]) => r.length > 1).map(([b]) => b));
  for (const b of trainedTwice) problems.push(`batch ${b} was trained by ${trainedBy.get(b)!.join(' and ')}`);
  const trainedBatch = new Set(trainedBy.keys());
  for (const b of e.batches) {
    if (b.status === 'used' && !trainedBatch.has(b.id)) {
      problems.push(`batch ${b.id} is marked used but no finished retrain reported training on it`);
    }
  }

  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const id of e.requested) {
    const ledger = inLedger.get(id) ?? [];
    const snaps = inSnapshot.get(id) ?? [];
    if (ledger.length > 1 || snaps.length > 1 || ledger.some((b) => trainedTwice.has(b))) duplicated.push(id);
    else if (ledger.length !== 1 || snaps.length !== 1 || !usedBatches.has(ledger[0]!)) lost.push(id);
  }
  const strangers = [...new Set([...inLedger.keys(), ...inSnapshot.keys()])].filter(
    (id) => !requested.has(id),
  );
  if (strangers.length) {
    problems.push(`${strangers.length} ids in batches were never asked for, e.g. ${strangers[0]}`);
  }
  return { samplesChecked: e.requested.length, lost, duplicated, problems };
}

/** A retrain cycle as the ledger recorded it. */
export interface CycleEvidence {
  readonly id: string;
  readonly decision: string;
  readonly metrics: Readonly<Record<string, unknown>>;
}

/**
 * Training evidence: every batch with samples that a decided cycle (promoted or rejected) used was fed to
 * the optimizer, each of its snapshot's samples once per fine-tuning epoch, as the training activity
 * reported from its own count (`fed_digest/<batch>`). The expected digest is computed here from the
 * snapshot the checker read itself.
 */
export function judgeTraining(
  cycles: readonly CycleEvidence[],
  batches: readonly BatchEvidence[],
): { batchesChecked: number; problems: string[] } {
  const problems: string[] = [];
  let batchesChecked = 0;
  const byId = new Map(batches.map((b) => [b.id, b]));
  for (const c of cycles) {
    if (c.decision !== 'promoted' && c.decision !== 'rejected') continue;
    const epochs = c.metrics.fine_tune_epochs;
    for (const id of String(c.metrics.batch_ids ?? '')
      .split(',')
      .filter(Boolean)) {
      const ids = byId.get(id)?.snapshotIds;
      if (!ids?.length) continue; // pure poison: nothing to train on
      batchesChecked += 1;
      const reported = c.metrics[`fed_digest/${id}`];
      if (typeof reported !== 'string' || typeof epochs !== 'number') {
        problems.push(`cycle ${c.id} (${c.decision}) reports no training evidence for batch ${id}`);
      } else if (reported !== expectedFedDigest(ids, epochs)) {
        problems.push(
          `cycle ${c.id} (${c.decision}): what it fed to the optimizer from batch ${id} is not its ${ids.length} samples × ${epochs} epochs`,
        );
      }
    }
  }
  return { batchesChecked, problems };
}
