/**
 * Dynamic batching, as Triton's dynamic batcher does it: requests that arrive while the model is busy, or
 * within `maxDelayMs` of the first one, run together as one predict call of up to `maxBatch` images.
 *
 * Written here rather than taken from a library: the batching libraries on npm (e.g. dataloader) batch
 * by key count within one tick and cache results; this needs batching by image count, a time window, and
 * one batch in flight at a time (native TensorFlow already spreads one predict call over every core).
 */

export interface BatchResult {
  readonly versionId: string;
  /** Row-major outputs, `width` values per image. */
  readonly values: Float32Array;
}

/** Runs one batch: `count` images, `inputWidth` values each, back to back. */
export type RunBatch = (inputs: Float32Array, count: number) => Promise<BatchResult>;

export interface BatcherOptions {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  /** Values per input image. */
  readonly inputWidth: number;
  /** Values per output row. */
  readonly outputWidth: number;
}

interface Pending {
  readonly inputs: Float32Array;
  readonly count: number;
  resolve(r: BatchResult): void;
  reject(err: unknown): void;
}

export interface BatcherStats {
  readonly batches: number;
  readonly images: number;
  readonly largestBatch: number;
}

export class DynamicBatcher {
  private queue: Pending[] = [];
  private queuedImages = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private counters = { batches: 0, images: 0, largestBatch: 0 };

  constructor(
    private readonly run: RunBatch,
    private readonly opts: BatcherOptions,
  ) {}

  /** The outputs for these images, computed in some batch with other requests' images. */
  submit(inputs: Float32Array, count: number): Promise<BatchResult> {
    if (inputs.length !== count * this.opts.inputWidth) {
      return Promise.reject(
        new Error(`submit: ${inputs.length} values is not ${count} × ${this.opts.inputWidth}.`),
      );
    }
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ inputs, count, resolve, reject });
      this.queuedImages += count;
      this.schedule();
    });
  }

  stats(): BatcherStats {
    return { ...this.counters };
  }

  private schedule(): void {
    if (this.running || !this.queue.length) return;
    if (this.queuedImages >= this.opts.maxBatch || this.opts.maxDelayMs === 0) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.opts.maxDelayMs);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || !this.queue.length) return;
    // Whole requests only, at least one (a request larger than maxBatch runs alone).
    const batch: Pending[] = [];
    let images = 0;
    while (this.queue.length && (batch.length === 0 || images + this.queue[0]!.count <= this.opts.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      images += p.count;
    }
    this.queuedImages -= images;
    this.running = true;
    void this.execute(batch, images).finally(() => {
      this.running = false;
      // Whatever queued meanwhile has waited long enough: run it next, up to maxBatch. setImmediate, not a
      // direct call: back-to-back batches would otherwise run in one chain of microtasks and starve I/O
      // (new requests, and the file reads of a champion being loaded for a swap).
      if (this.queue.length) setImmediate(() => this.flush());
    });
  }

  private async execute(batch: Pending[], images: number): Promise<void> {
    const { inputWidth, outputWidth } = this.opts;
    let inputs: Float32Array;
    if (batch.length === 1) inputs = batch[0]!.inputs;
    else {
      inputs = new Float32Array(images * inputWidth);
      let at = 0;
      for (const p of batch) {
        inputs.set(p.inputs, at);
        at += p.inputs.length;
      }
    }
    this.counters.batches++;
    this.counters.images += images;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, images);
    let result: BatchResult;
    try {
      result = await this.run(inputs, images);
      if (result.values.length !== images * outputWidth) {
        throw new Error(`the model returned ${result.values.length} values for ${images} images.`);
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let row = 0;
    for (const p of batch) {
      const values = result.values.slice(row * outputWidth, (row + p.count) * outputWidth);
      row += p.count;
      p.resolve({ versionId: result.versionId, values });
    }
  }
}
