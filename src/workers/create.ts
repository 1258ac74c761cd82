/** Builds the two workers: IO (workflows + IO activities) and training (one device's queue). */
import {
  bundleWorkflowCode,
  Worker,
  type NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Config } from '../config';
import { createIoActivities, type IoDeps } from '../activities/io';
import { createTrainingActivities, type TrainingDeps } from '../activities/training';
import { TASK_QUEUES, trainingTaskQueue } from '../shared';

export const WORKFLOWS_PATH = require.resolve('../workflows');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per process: webpack takes seconds, and tests/demos start several workers. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

export async function createIoWorker(
  cfg: Config,
  connection: NativeConnection,
  deps: IoDeps,
  taskQueue: string = TASK_QUEUES.io,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createIoActivities(deps),
  });
}

export async function createTrainingWorker(
  cfg: Config,
  connection: NativeConnection,
  deps: TrainingDeps,
  taskQueue: string = trainingTaskQueue(cfg.training.device),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue,
    activities: createTrainingActivities(deps),
    // Training uses every core TensorFlow gets; two at once would only make both slower.
    maxConcurrentActivityTaskExecutions: cfg.training.concurrency,
  });
}
