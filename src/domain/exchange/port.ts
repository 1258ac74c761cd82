/**
 * What hosts that share no disk exchange files through: a store every host reaches, keyed by path
 * (MLflow's artifact proxy in this stack: adapters/mlflow/shared-store.ts; an object store behind it
 * in production). Keys are relative, `/`-separated, without `.` or `..` segments.
 */
export interface SharedStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or undefined when there is no such file. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Names of the direct children of a folder key (none when it does not exist). */
  list(folder: string): Promise<{ readonly name: string; readonly isDir: boolean }[]>;
}

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    readonly code: 'missing' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}
