/** Runs a worker until SIGINT/SIGTERM, letting in-flight activities finish (Temporal's graceful shutdown). */
import { Runtime, type Worker } from '@temporalio/worker';

export async function runUntilSignal(
  name: string,
  worker: Worker,
  close: () => Promise<void>,
): Promise<void> {
  // The SDK's runtime installs SIGINT/SIGTERM handlers that call shutdown() on every worker.
  Runtime.instance();
  console.log(`${name} worker polling task queue ${worker.options.taskQueue}; Ctrl-C stops it gracefully`);
  try {
    await worker.run();
  } finally {
    await close();
    console.log(`${name} worker stopped`);
  }
}
