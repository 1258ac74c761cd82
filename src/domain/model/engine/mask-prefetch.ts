/**
 * Dropout masks drawn ahead on a worker thread. Drawing a step's masks takes ~4 ms of JS (1.2M values
 * for this CNN) during which TensorFlow's thread pool idles, because JS and native ops take turns on
 * the main thread. Here the masks of step k+1 are drawn while step k's native ops run; the main thread
 * picks them up synchronously (receiveMessageOnPort, with Atomics.wait while one is still being drawn),
 * so the dropout layer's call stays synchronous. Same function, same seeds: the same masks as drawing
 * them in place, which the tests check.
 *
 * The worker runs plain JS only (dropoutMask), never TensorFlow: tfjs-node's binding is not safe to
 * call from two threads.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { dropoutMask, type MaskJob, type MaskSource } from './dropout-mask';

const keyOf = (j: MaskJob) => `${j.count}/${j.rate}/${j.seed}`;

/** How long take() waits for a mask the worker is drawing before drawing it itself. */
const WAIT_MS = 5_000;

export interface MaskPrefetcher extends MaskSource {
  /**
   * Starts drawing these masks; take() returns them once drawn. Masks of the request before this one
   * stay available (the step about to run asks for them); older ones are dropped.
   */
  prefetch(jobs: readonly MaskJob[]): void;
  /** Masks take() returned from the worker, and those it had to draw in place. */
  readonly served: { readonly ahead: number; readonly inPlace: number };
  /** Stops the worker. */
  close(): Promise<void>;
}

interface Drawn {
  readonly key: string;
  readonly mask: Float32Array;
}

export function startMaskPrefetch(): MaskPrefetcher {
  const { port1, port2 } = new MessageChannel();
  // [0]: messages posted by the worker, for Atomics.wait.
  const posted = new Int32Array(new SharedArrayBuffer(4));
  const entry = join(__dirname, `mask-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  const worker = new Worker(
    // A .ts entry needs tsx's loader in the worker as it has in this thread.
    entry.endsWith('.ts') ? `require('tsx/cjs'); require(${JSON.stringify(entry)});` : entry,
    { eval: entry.endsWith('.ts'), workerData: { port: port2, posted }, transferList: [port2] },
  );
  worker.unref();
  let failure: Error | undefined;
  worker.on('error', (e) => (failure = e));
  // Key → the request it belongs to, counted by prefetch().
  const pending = new Map<string, number>();
  const drawn = new Map<string, { mask: Float32Array; request: number }>();
  let request = 0;
  const served = { ahead: 0, inPlace: 0 };

  const receive = (): boolean => {
    const m = receiveMessageOnPort(port1) as { message: Drawn } | undefined;
    if (!m) return false;
    const { key, mask } = m.message;
    const of = pending.get(key);
    // A mask of a dropped request is not kept.
    if (of !== undefined) {
      pending.delete(key);
      drawn.set(key, { mask, request: of });
    }
    return true;
  };

  return {
    prefetch(jobs) {
      while (receive());
      request++;
      for (const [key, of] of pending) if (of < request - 1) pending.delete(key);
      for (const [key, d] of drawn) if (d.request < request - 1) drawn.delete(key);
      for (const j of jobs) pending.set(keyOf(j), request);
      if (jobs.length && !failure) port1.postMessage(jobs);
    },

    take(count, rate, seed) {
      const key = keyOf({ count, rate, seed });
      const deadline = performance.now() + WAIT_MS;
      while (pending.has(key) && !failure && performance.now() < deadline) {
        const seen = Atomics.load(posted, 0);
        if (!receive()) Atomics.wait(posted, 0, seen, Math.max(1, deadline - performance.now()));
      }
      const mask = drawn.get(key)?.mask;
      drawn.delete(key);
      pending.delete(key);
      if (mask) {
        served.ahead++;
        return mask;
      }
      served.inPlace++;
      return dropoutMask(count, rate, seed);
    },

    served,

    async close() {
      port1.close();
      await worker.terminate();
    },
  };
}

/** The worker's side (mask-worker.ts): draws each job and posts it back, transferring the buffer. */
export function serveMasks(port: MessagePort, posted: Int32Array): void {
  port.on('message', (jobs: MaskJob[]) => {
    for (const j of jobs) {
      const mask = dropoutMask(j.count, j.rate, j.seed);
      port.postMessage({ key: keyOf(j), mask } satisfies Drawn, [mask.buffer as ArrayBuffer]);
      Atomics.add(posted, 0, 1);
      Atomics.notify(posted, 0);
    }
  });
}
