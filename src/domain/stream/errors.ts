import { DomainProblem } from '../problem';

/** What went wrong with the stream or a batch snapshot; callers branch on `kind`, people read the message. */
export type StreamProblemKind =
  'snapshot-conflict' | 'snapshot-corrupt' | 'snapshot-missing' | 'bad-request' | 'ledger-conflict';

export class StreamError extends DomainProblem<StreamProblemKind> {}
