/**
 * Splits the records of one consumed batch into valid samples and poison records, including the two
 * duplicate checks that need more than one record: within the batch, and against the ledger.
 */
import {
  decodeRecord,
  type DecodeLimits,
  type PoisonReason,
  type RawRecord,
  type DecodedSample,
} from './record';

export interface ValidRecord {
  readonly record: RawRecord;
  readonly sample: DecodedSample;
}

export interface PoisonRecord {
  readonly record: RawRecord;
  readonly reason: PoisonReason;
  readonly detail: string;
}

export interface Triage {
  readonly valid: ValidRecord[];
  readonly poison: PoisonRecord[];
}

/** Ids that decode fine, so the caller can ask the ledger about just those. */
export function candidateIds(records: readonly RawRecord[], limits: DecodeLimits): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    const d = decodeRecord(r, limits);
    if (d.ok) ids.add(d.sample.id);
  }
  return [...ids];
}

/**
 * @param takenElsewhere sample id → batch id, for ids the ledger already holds in another batch.
 * The first occurrence of an id in the batch wins; later ones are poison.
 */
export function triageBatch(
  records: readonly RawRecord[],
  takenElsewhere: ReadonlyMap<string, string>,
  limits: DecodeLimits,
): Triage {
  const valid: ValidRecord[] = [];
  const poison: PoisonRecord[] = [];
  const seen = new Map<string, RawRecord>();
  for (const record of records) {
    const d = decodeRecord(record, limits);
    if (!d.ok) {
      poison.push({ record, reason: d.reason, detail: d.detail });
      continue;
    }
    const { id } = d.sample;
    const first = seen.get(id);
    if (first) {
      poison.push({
        record,
        reason: 'duplicate-in-batch',
        detail: `sample ${id} already appears at partition ${first.partition} offset ${first.offset}`,
      });
      continue;
    }
    const other = takenElsewhere.get(id);
    if (other !== undefined) {
      poison.push({
        record,
        reason: 'duplicate-in-ledger',
        detail: `sample ${id} was already taken in batch ${other}`,
      });
      continue;
    }
    seen.set(id, record);
    valid.push({ record, sample: d.sample });
  }
  return { valid, poison };
}
