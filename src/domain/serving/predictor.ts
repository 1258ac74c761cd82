/**
 * What answers predictions: the champion through the dynamic batcher, archived versions on demand (a
 * small LRU of loaded models), and every answer appended to the prediction log.
 */
import { randomUUID } from 'node:crypto';
import { IMAGE_BYTES, NUM_CLASSES } from '../data/types';
import type { StoredMetadata } from '../registry/metadata';
import { DynamicBatcher, type BatcherStats } from './batcher';
import { ModelLease, type ChampionFollower, type ModelLoader, type ServedModel } from './champion';
import type { PredictionEntry } from './prediction-log';

export interface Prediction {
  readonly requestId: string;
  /** The version that answered. */
  readonly versionId: string;
  /** count × 10 class probabilities. */
  readonly probabilities: Float32Array;
  readonly digits: number[];
}

export interface PredictOptions {
  /** Logged as the record key; one is made when absent. */
  readonly requestId?: string;
  /** Logged as who asked (default "oip"). */
  readonly source?: string;
  /** Answer with this stored version instead of the champion. */
  readonly versionId?: string;
}

export interface PredictorOptions {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  /** Archived versions kept loaded. */
  readonly versionCache: number;
}

export function argMaxRows(probabilities: Float32Array, width = NUM_CLASSES): number[] {
  const digits: number[] = [];
  for (let row = 0; row < probabilities.length / width; row++) {
    let best = 0;
    for (let k = 1; k < width; k++) {
      if (probabilities[row * width + k]! > probabilities[row * width + best]!) best = k;
    }
    digits.push(best);
  }
  return digits;
}

export class Predictor {
  private readonly batcher: DynamicBatcher;
  /** Archived versions, least recently used first. */
  private readonly archived = new Map<string, Promise<ModelLease>>();

  constructor(
    private readonly follower: ChampionFollower,
    private readonly loader: ModelLoader,
    private readonly log: { append(entries: readonly PredictionEntry[]): void },
    private readonly opts: PredictorOptions,
  ) {
    this.batcher = new DynamicBatcher(
      (inputs, count) => {
        const lease = this.follower.current();
        if (!lease) return Promise.reject(new Error('no champion is loaded'));
        // The lease is taken when the batch starts: a swap meanwhile lets this batch finish on its model.
        return lease.use(async (m) => ({ versionId: m.versionId, values: await m.predict(inputs, count) }));
      },
      {
        maxBatch: opts.maxBatch,
        maxDelayMs: opts.maxDelayMs,
        inputWidth: IMAGE_BYTES,
        outputWidth: NUM_CLASSES,
      },
    );
  }

  /** The champion being served, or undefined before it is loaded. */
  current(): { versionId: string; metadata: StoredMetadata } | undefined {
    const m = this.follower.current()?.model;
    return m && { versionId: m.versionId, metadata: m.metadata };
  }

  /** Classifies `count` images of 784 pixel bytes (0..255), e.g. a drawing from the web app. */
  predict(pixels: Uint8Array, count: number, options: PredictOptions = {}): Promise<Prediction> {
    if (!Number.isInteger(count) || count < 1 || pixels.length !== count * IMAGE_BYTES) {
      return Promise.reject(
        new Error(
          `predict: ${pixels.length} bytes is not ${count} × ${IMAGE_BYTES} pixel bytes (28×28 each).`,
        ),
      );
    }
    const images = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) images[i] = pixels[i]! / 255;
    return this.predictImages(images, count, options);
  }

  /** Classifies `count` images of 784 values in 0..1. */
  async predictImages(
    images: Float32Array,
    count: number,
    options: PredictOptions = {},
  ): Promise<Prediction> {
    const t0 = performance.now();
    const requestId = options.requestId ?? randomUUID();
    const { versionId, values } = options.versionId
      ? await this.predictWithVersion(options.versionId, images, count)
      : await this.batcher.submit(images, count);
    const latencyMs = performance.now() - t0;
    const digits = argMaxRows(values);
    const servedAt = new Date().toISOString();
    this.log.append(
      digits.map((digit, index) => ({
        requestId,
        index,
        versionId,
        digit,
        probabilities: Array.from(values.subarray(index * NUM_CLASSES, (index + 1) * NUM_CLASSES)),
        latencyMs,
        source: options.source ?? 'oip',
        servedAt,
      })),
    );
    return { requestId, versionId, probabilities: values, digits };
  }

  stats(): BatcherStats & { swaps: number; archivedLoaded: string[] } {
    return { ...this.batcher.stats(), swaps: this.follower.swaps, archivedLoaded: [...this.archived.keys()] };
  }

  /** Disposes the archived versions once their requests end. */
  async close(): Promise<void> {
    const leases = await Promise.allSettled([...this.archived.values()]);
    this.archived.clear();
    for (const l of leases) if (l.status === 'fulfilled') l.value.retire();
  }

  private async predictWithVersion(versionId: string, images: Float32Array, count: number) {
    // An archived model evicted between its load and this request's use is loaded again.
    for (;;) {
      const champion = this.follower.current();
      const lease = champion?.model.versionId === versionId ? champion : await this.archivedLease(versionId);
      if (lease.isDisposed) continue;
      return lease.use(async (m: ServedModel) => ({
        versionId: m.versionId,
        values: await m.predict(images, count),
      }));
    }
  }

  private archivedLease(versionId: string): Promise<ModelLease> {
    let entry = this.archived.get(versionId);
    if (entry) {
      this.archived.delete(versionId); // re-inserted below as the most recently used
    } else {
      entry = this.loader.load(versionId).then((m) => new ModelLease(m));
      // A failed load is not cached: the next request tries again (or gets the same 404).
      entry.catch(() => {
        if (this.archived.get(versionId) === entry) this.archived.delete(versionId);
      });
    }
    this.archived.set(versionId, entry);
    while (this.archived.size > this.opts.versionCache) {
      const [oldest, lease] = this.archived.entries().next().value as [string, Promise<ModelLease>];
      this.archived.delete(oldest);
      lease.then(
        (l) => l.retire(),
        () => undefined,
      );
    }
    return entry;
  }
}
