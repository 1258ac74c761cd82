/**
 * Following the champion: the served model is swapped for a new champion only once the new one is fully
 * loaded and has answered a warm-up predict; the reference changes in one assignment, batches already
 * running finish on the model they started with, and a replaced model is disposed when its last batch ends.
 */
import type { StoredMetadata } from '../registry/metadata';

/** A model ready to answer: loaded, warmed up. */
export interface ServedModel {
  readonly versionId: string;
  readonly metadata: StoredMetadata;
  /** Class probabilities (count × 10) of count images of 784 values in 0..1. */
  predict(images: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

/** Loads a version fully (and runs its warm-up) or fails; never hands out a half-loaded model. */
export interface ModelLoader {
  /** Rejects with VersionNotFoundError for a version the store does not hold. */
  load(versionId: string): Promise<ServedModel>;
}

/**
 * Where the champion is named: today the model store's current_model pointer; issue 11 can put the
 * MLflow registry alias behind the same two calls.
 */
export interface ChampionSource {
  /** The champion's version id, or null before the first promotion. */
  championVersion(): Promise<string | null>;
  /** Calls `onChange` when the champion may have changed (spurious calls are fine); returns a stop function. */
  watch(onChange: () => void): () => void;
}

export class VersionNotFoundError extends Error {
  constructor(
    readonly versionId: string,
    detail: string,
  ) {
    super(`Model version ${JSON.stringify(versionId)} not found: ${detail}`);
    this.name = 'VersionNotFoundError';
  }
}

export class NoChampionError extends Error {
  constructor(where: string) {
    super(
      `No champion in ${where} yet: run \`npm run demo\` or \`npm run cli -- bootstrap\` first, then start the server again.`,
    );
    this.name = 'NoChampionError';
  }
}

/** A loaded model and the batches using it; disposed once retired and idle. */
export class ModelLease {
  private inFlight = 0;
  private retired = false;
  private disposed = false;

  constructor(readonly model: ServedModel) {}

  /** Runs `fn` on the model; the model outlives the call even if it is retired meanwhile. */
  async use<T>(fn: (m: ServedModel) => Promise<T>): Promise<T> {
    if (this.disposed) throw new Error(`model ${this.model.versionId} was used after it was disposed`);
    this.inFlight++;
    try {
      return await fn(this.model);
    } finally {
      this.inFlight--;
      this.disposeIfIdle();
    }
  }

  retire(): void {
    this.retired = true;
    this.disposeIfIdle();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private disposeIfIdle(): void {
    if (this.retired && this.inFlight === 0 && !this.disposed) {
      this.disposed = true;
      this.model.dispose();
    }
  }
}

export interface SwapEvent {
  readonly from: string | null;
  readonly to: string;
  /** Time from noticing the change to the new model being served (load and warm-up included). */
  readonly loadMs: number;
}

export interface FollowerLog {
  swapped(e: SwapEvent): void;
  loadFailed(versionId: string, err: unknown): void;
}

/**
 * Holds the serving champion and replaces it when the source names another version. Checks never
 * overlap: a change noticed during a load is checked again right after it.
 */
export class ChampionFollower {
  private lease: ModelLease | undefined;
  private checking: Promise<void> | undefined;
  private recheck = false;
  private stopWatch: (() => void) | undefined;
  private failed = new Set<string>();
  private swapCount = 0;
  private closed = false;

  constructor(
    private readonly source: ChampionSource,
    private readonly loader: ModelLoader,
    private readonly log: FollowerLog,
    private readonly where: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Loads the current champion and starts following it; NoChampionError before the first promotion. */
  async start(): Promise<void> {
    const versionId = await this.source.championVersion();
    if (!versionId) throw new NoChampionError(this.where);
    this.lease = new ModelLease(await this.loader.load(versionId));
    this.stopWatch = this.source.watch(() => void this.check());
  }

  /** The lease of the model serving now; undefined before start. */
  current(): ModelLease | undefined {
    return this.lease;
  }

  get swaps(): number {
    return this.swapCount;
  }

  /** Looks at the source now; resolves once the champion it names is served (or failed to load). */
  check(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return this.checking;
    }
    this.checking = this.follow().finally(() => {
      this.checking = undefined;
      if (this.recheck && !this.closed) {
        this.recheck = false;
        void this.check();
      }
    });
    return this.checking;
  }

  /** Stops following; the served model is disposed when its last batch ends. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatch?.();
    await this.checking;
    this.lease?.retire();
  }

  private async follow(): Promise<void> {
    if (this.closed) return;
    let versionId: string | null;
    try {
      versionId = await this.source.championVersion();
    } catch (err) {
      this.log.loadFailed('(champion pointer)', err);
      return;
    }
    const old = this.lease;
    if (!versionId || versionId === old?.model.versionId) return;
    const t0 = this.now();
    let model: ServedModel;
    try {
      model = await this.loader.load(versionId);
    } catch (err) {
      // Keep serving the old champion; log a bad version once, retry it on later checks.
      if (!this.failed.has(versionId)) this.log.loadFailed(versionId, err);
      this.failed.add(versionId);
      return;
    }
    this.failed.delete(versionId);
    if (this.closed) {
      model.dispose();
      return;
    }
    this.lease = new ModelLease(model);
    old?.retire();
    this.swapCount++;
    this.log.swapped({ from: old?.model.versionId ?? null, to: versionId, loadMs: this.now() - t0 });
  }
}
