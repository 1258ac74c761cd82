/**
 * The prediction log: every served prediction, sent asynchronously in batches to a sink (Kafka) so that
 * accuracy in service can be joined with labels later. Appending never waits for the sink: entries wait
 * in a bounded in-memory buffer, and when the sink is slow or down and the buffer is full, the oldest
 * entries are dropped and counted. Memory is bounded by `capacity` entries (about 0.5 KB each as JSON).
 */

export interface PredictionEntry {
  /** The request id (the client's, or one the server made); the record key. */
  readonly requestId: string;
  /** Position of the image within its request. */
  readonly index: number;
  readonly versionId: string;
  readonly digit: number;
  readonly probabilities: readonly number[];
  /** Time from the request being decoded to its answer, in milliseconds. */
  readonly latencyMs: number;
  /** Who asked: the inference protocol or a plugin such as the web app. */
  readonly source: string;
  readonly servedAt: string;
}

export interface PredictionSink {
  send(entries: readonly PredictionEntry[]): Promise<void>;
}

export interface PredictionLogStats {
  readonly capacity: number;
  readonly buffered: number;
  readonly sent: number;
  readonly dropped: number;
  readonly failedSends: number;
  readonly lastError: string | null;
}

export interface PredictionLogOptions {
  /** Most entries held; the oldest beyond it are dropped. */
  readonly capacity: number;
  /** Most entries per sink call. */
  readonly batchSize: number;
  /** First wait after a failed send; doubled per failure up to maxRetryMs. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export class PredictionLog {
  private buffer: PredictionEntry[] = [];
  private inFlight = 0;
  private sending: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closed = false;
  private counters = { sent: 0, dropped: 0, failedSends: 0, lastError: null as string | null };

  constructor(
    private readonly sink: PredictionSink,
    private readonly opts: PredictionLogOptions,
  ) {
    this.retryMs = opts.retryMs ?? 100;
  }

  /** Queues entries for the sink; returns at once whatever state the sink is in. */
  append(entries: readonly PredictionEntry[]): void {
    this.buffer.push(...entries);
    this.trim();
    if (!this.retryTimer) this.pump();
  }

  stats(): PredictionLogStats {
    // In-flight entries count as buffered: they are held in memory until the sink takes them.
    return { capacity: this.opts.capacity, buffered: this.buffer.length + this.inFlight, ...this.counters };
  }

  /** Sends what is buffered, waiting at most `timeoutMs`; true when everything was sent. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.buffer.length || this.sending) && Date.now() < deadline) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      this.pump();
      await Promise.race([
        this.sending,
        new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now()))),
      ]);
    }
    return this.buffer.length === 0 && !this.sending;
  }

  /** Flushes for up to `timeoutMs`, then stops; what is left is dropped and counted. */
  async close(timeoutMs: number): Promise<void> {
    await this.flush(timeoutMs);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.counters.dropped += this.buffer.length;
    this.buffer = [];
  }

  private trim(): void {
    const over = this.buffer.length - this.opts.capacity;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.counters.dropped += over;
    }
  }

  private pump(): void {
    if (this.sending || this.closed || !this.buffer.length) return;
    const batch = this.buffer.splice(0, this.opts.batchSize);
    this.inFlight = batch.length;
    this.sending = this.sink.send(batch).then(
      () => {
        this.inFlight = 0;
        this.counters.sent += batch.length;
        this.retryMs = this.opts.retryMs ?? 100;
        this.sending = undefined;
        this.pump();
      },
      (err: unknown) => {
        this.inFlight = 0;
        this.counters.failedSends++;
        this.counters.lastError = err instanceof Error ? err.message : String(err);
        // Back to the front, in order; if that overflows the bound, the oldest go.
        this.buffer.unshift(...batch);
        this.trim();
        this.sending = undefined;
        if (this.closed) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.retryMs);
        // A broker that stays down must not keep a process alive that is otherwise done.
        this.retryTimer.unref();
        this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 5000);
      },
    );
  }
}
