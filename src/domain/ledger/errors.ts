import { DomainProblem } from '../problem';

/** A ledger write that contradicts what is already recorded, or a lookup of something never recorded. */
export type LedgerProblemKind = 'conflict' | 'not-found';

export class LedgerError extends DomainProblem<LedgerProblemKind> {}
