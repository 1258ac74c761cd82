/** Both workers in one process, for tests and the demo: `const w = await startWorkers(cfg); … await w.shutdown()`. */
import type { Worker } from '@temporalio/worker';
import type { Config } from '../config';
import { createIoWorker, createTrainingWorker } from './create';
import { connectWorker, openIoDeps, openTrainingDeps } from './dependencies';

export interface WorkersHandle {
  readonly io: Worker;
  readonly training: Worker;
  /** Resolves when both workers stopped; rejects if one of them crashed. */
  readonly done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** Private queues keep a test's workers apart from any others running against the same server. */
  readonly ioTaskQueue?: string;
  readonly trainingTaskQueue?: string;
}

export async function startWorkers(cfg: Config, options: StartOptions = {}): Promise<WorkersHandle> {
  const connection = await connectWorker(cfg);
  const io = await openIoDeps(cfg, options.trainingTaskQueue);
  const training = await openTrainingDeps(cfg);
  const close = async () => {
    await Promise.allSettled([io.close(), training.close()]);
    await connection.close();
  };
  let ioWorker: Worker;
  let trainingWorker: Worker;
  try {
    ioWorker = await createIoWorker(cfg, connection, io.deps, options.ioTaskQueue);
    trainingWorker = await createTrainingWorker(cfg, connection, training.deps, options.trainingTaskQueue);
  } catch (err) {
    await close();
    throw err;
  }
  const done = Promise.all([ioWorker.run(), trainingWorker.run()]).then(() => undefined);
  let stopping: Promise<void> | undefined;
  return {
    io: ioWorker,
    training: trainingWorker,
    done,
    shutdown() {
      stopping ??= (async () => {
        for (const w of [ioWorker, trainingWorker]) if (w.getState() === 'RUNNING') w.shutdown();
        await done.catch(() => undefined);
        await close();
      })();
      return stopping;
    },
  };
}
