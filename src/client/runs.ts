/**
 * Bootstrap, stream and retrain from outside Temporal: start the workflow, follow its progress, return its
 * result. Retrain and bootstrap use their fixed workflow ids, so a second start reports the running one.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  TASK_QUEUES,
  WORKFLOW_IDS,
  type BootstrapInput,
  type BootstrapResult,
  type RetrainInput,
  type RetrainResult,
  type StreamNewDataInput,
  type StreamNewDataResult,
} from '../shared';
import { startUnique } from './start';
import type { streamNewDataWorkflow } from '../workflows';
import { badInput, busy, notReady } from './errors';
import { resultWithProgress, type ProgressListener } from './progress';

export interface RunOptions {
  readonly onProgress?: ProgressListener;
  /** Poll interval of the progress query. */
  readonly progressIntervalMs?: number;
  /** Called once the workflow started, before waiting: lets callers print its Web UI link. */
  readonly onStarted?: (workflowId: string, runId: string) => void;
  readonly taskQueue?: string;
}

export interface Finished<T> {
  readonly workflowId: string;
  readonly runId: string;
  readonly result: T;
}

/** The largest count one stream run accepts: the whole stream split of the default configuration. */
export const MAX_STREAM_COUNT = 60000;

/**
 * A workflow waits silently for a worker that is not there; refuse up front instead, naming the fix.
 * DescribeTaskQueue's default type is the workflow queue, which is the one that must be served.
 */
/** Whether any worker polls the workflow task queue (DescribeTaskQueue's default type). */
export async function workerPolling(client: Client, taskQueue: string = TASK_QUEUES.io): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
  });
  return (res.pollers?.length ?? 0) > 0;
}

/** A workflow waits silently for a worker that is not there; refuse up front instead, naming the fix. */
export async function assertWorkerPolling(
  client: Client,
  taskQueue: string = TASK_QUEUES.io,
  waitMs = 5000,
): Promise<void> {
  // A worker that just started shows up with its first poll: give it a moment before declaring none.
  const deadline = Date.now() + waitMs;
  while (!(await workerPolling(client, taskQueue))) {
    if (Date.now() >= deadline) {
      throw notReady(
        `No worker polls the task queue ${taskQueue}: start the IO and training workers ` +
          '(`tsx src/workers/io.ts` and `tsx src/workers/training.ts`) and try again.',
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Workflow failures a caller can act on become ClientErrors; the rest keep their message. */
function explainFailure(err: unknown, workflowId: string): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  let cause: unknown = err.cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  const message = cause instanceof Error ? cause.message : err.message;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'InvalidInputError') return badInput(message);
    if (cause.type === 'NoChampionError') return notReady(message);
  }
  return new Error(`workflow ${workflowId} failed: ${message}`, { cause: err });
}

async function follow<T>(
  client: Client,
  workflowId: string,
  runId: string,
  opts: RunOptions,
): Promise<Finished<T>> {
  opts.onStarted?.(workflowId, runId);
  const handle = client.workflow.getHandle(workflowId, runId);
  try {
    const result = await resultWithProgress<T>(handle, opts.onProgress, opts.progressIntervalMs);
    return { workflowId, runId, result };
  } catch (err) {
    throw explainFailure(err, workflowId);
  }
}

/** Starts a fixed-id workflow and follows it; a running one is a busy error saying what to do. */
async function runUnique<T>(
  client: Client,
  kind: 'retrain' | 'bootstrap',
  input: RetrainInput | BootstrapInput,
  opts: RunOptions,
  whatToDo: string,
): Promise<Finished<T>> {
  await assertWorkerPolling(client, opts.taskQueue);
  const start = await startUnique(client, kind, input, { taskQueue: opts.taskQueue });
  if (start.status === 'skipped') {
    throw busy(`a ${kind} is already running (workflow id ${WORKFLOW_IDS[kind]}); ${whatToDo}`);
  }
  return follow(client, start.workflowId, start.runId, opts);
}

export const bootstrap = (
  client: Client,
  input: BootstrapInput = {},
  opts: RunOptions = {},
): Promise<Finished<BootstrapResult>> => runUnique(client, 'bootstrap', input, opts, 'wait for it to finish');

export function parseStreamCount(count: number): number {
  if (!Number.isInteger(count) || count <= 0 || count > MAX_STREAM_COUNT) {
    throw badInput(`count must be a whole number from 1 to ${MAX_STREAM_COUNT}, got ${count}`);
  }
  return count;
}

export async function stream(
  client: Client,
  count: number,
  options: { replay?: boolean; lagThreshold?: number; retrain?: RetrainInput } & RunOptions = {},
): Promise<Finished<StreamNewDataResult>> {
  const input: StreamNewDataInput = {
    count: parseStreamCount(count),
    replay: options.replay ?? false,
    ...(options.lagThreshold !== undefined ? { lagThreshold: options.lagThreshold } : {}),
    ...(options.retrain ? { retrain: options.retrain } : {}),
  };
  await assertWorkerPolling(client, options.taskQueue);
  // Streams may run side by side (publishing skips what is published), so each gets its own id.
  const workflowId = `mlops-stream-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const handle = await client.workflow.start<typeof streamNewDataWorkflow>('streamNewDataWorkflow', {
    taskQueue: options.taskQueue ?? TASK_QUEUES.io,
    workflowId,
    args: [input],
  });
  return follow(client, workflowId, handle.firstExecutionRunId, options);
}

export const retrain = (
  client: Client,
  input: RetrainInput = {},
  opts: RunOptions = {},
): Promise<Finished<RetrainResult>> =>
  runUnique(client, 'retrain', input, opts, 'wait for it or watch it in the Temporal Web UI');
