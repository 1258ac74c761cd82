import type { BatchEntry } from './types';

/** Dead letters per poison reason over some batches, as the ledger holds them. */
export function deadLettersByReason(batches: readonly BatchEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of batches) {
    for (const [reason, n] of Object.entries(b.deadLettersByReason ?? {}))
      out[reason] = (out[reason] ?? 0) + n;
  }
  return out;
}
