/**
 * Dead-letter form of a poison record: the original key, value and headers untouched (so it can be
 * inspected or fixed and replayed), plus headers saying why and where it came from.
 */
import type { RecordHeaders } from './record';
import type { PoisonRecord } from './triage';

export const DLQ_HEADER = {
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
} as const;

export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
}

export function toDeadLetter(poison: PoisonRecord, sourceTopic: string): DeadLetterMessage {
  const { record } = poison;
  const original: RecordHeaders = {};
  // Our own headers are set below; an upstream copy of them would make the record ambiguous.
  for (const [k, v] of Object.entries(record.headers)) {
    if (!k.startsWith('dlq-') && v !== undefined) original[k] = v;
  }
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...original,
      [DLQ_HEADER.reason]: poison.reason,
      [DLQ_HEADER.detail]: poison.detail,
      [DLQ_HEADER.sourceTopic]: sourceTopic,
      [DLQ_HEADER.sourcePartition]: String(record.partition),
      [DLQ_HEADER.sourceOffset]: record.offset,
    },
  };
}

/** How many poison records each reason rejected: what the ledger and the cycle's MLflow run count. */
export function countByReason(poison: readonly PoisonRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of poison) counts[p.reason] = (counts[p.reason] ?? 0) + 1;
  return counts;
}
