/**
 * What can go wrong when driving the pipeline, by what the caller should do about it. The CLI turns each
 * kind into a documented exit code; programs using the client can branch on `kind`.
 */
export type ClientProblemKind =
  /** The input is wrong: fix the arguments or the file. */
  | 'bad-input'
  /** Something the command needs is missing: start the stack, run bootstrap first, … */
  | 'not-ready'
  /** The work is already being done: wait for it, or look at it in the Temporal Web UI. */
  | 'busy';

export class ClientError extends Error {
  constructor(
    readonly kind: ClientProblemKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClientError';
  }
}

export const badInput = (message: string) => new ClientError('bad-input', message);
export const notReady = (message: string, cause?: unknown) =>
  new ClientError('not-ready', message, { cause });
export const busy = (message: string) => new ClientError('busy', message);
