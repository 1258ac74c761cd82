/** What went wrong with an MNIST file or split manifest; tests and callers branch on it, people read the message. */
export type MnistProblemKind =
  | 'not-found'
  | 'bad-gzip'
  | 'bad-magic'
  | 'truncated'
  | 'trailing-bytes'
  | 'bad-dimensions'
  | 'label-out-of-range'
  | 'count-mismatch'
  | 'checksum-mismatch'
  | 'manifest-invalid'
  | 'manifest-mismatch'
  | 'bad-request';

/** Bad MNIST input: names the file, the problem and what to do about it. */
export class MnistDataError extends Error {
  constructor(
    readonly kind: MnistProblemKind,
    /** The file (or directory) at fault. */
    readonly file: string,
    readonly problem: string,
    readonly remedy: string,
  ) {
    super(`${file}: ${problem}. ${remedy}`);
    this.name = 'MnistDataError';
  }
}
