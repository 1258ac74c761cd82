/** A ledger write that contradicts what is already recorded, or a lookup of something never recorded. */
export type LedgerProblemKind = 'conflict' | 'not-found';

export class LedgerError extends Error {
  constructor(
    readonly kind: LedgerProblemKind,
    readonly problem: string,
    readonly remedy: string,
  ) {
    super(`${problem}. ${remedy}`);
    this.name = 'LedgerError';
  }
}
