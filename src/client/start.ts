/**
 * Starters for the CLI, schedules and tests. Retrain and bootstrap run under fixed ids, so a second start
 * of a running one is reported instead of queued.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  TASK_QUEUES,
  WORKFLOW_IDS,
  type BootstrapInput,
  type RetrainInput,
  type RetrainStart,
} from '../shared';
import type { bootstrapWorkflow, retrainWorkflow } from '../workflows';

export interface StartOptions {
  /** Defaults to TASK_QUEUES.io, where the IO worker hosts the workflows. */
  readonly taskQueue?: string;
  readonly workflowId?: string;
}

/** The workflows that run one at a time under a fixed id, with their input. */
interface UniqueWorkflows {
  readonly retrain: Parameters<typeof retrainWorkflow>[0];
  readonly bootstrap: Parameters<typeof bootstrapWorkflow>[0];
}

const WORKFLOW_TYPES = {
  retrain: 'retrainWorkflow',
  bootstrap: 'bootstrapWorkflow',
} as const satisfies Record<keyof UniqueWorkflows, string>;

/** Starts the workflow under its fixed id unless one is running (then reports it as skipped). */
export async function startUnique<K extends keyof UniqueWorkflows>(
  client: Client,
  kind: K,
  input: UniqueWorkflows[K],
  options: StartOptions = {},
): Promise<RetrainStart> {
  const workflowId = options.workflowId ?? WORKFLOW_IDS[kind];
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPES[kind], {
      taskQueue: options.taskQueue ?? TASK_QUEUES.io,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    });
    return { status: 'started', workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { status: 'skipped', reason: `a ${kind} is running (workflow id ${workflowId})` };
    }
    throw err;
  }
}

/** Starts a retrain unless one is running (then reports it). */
export const startRetrain = (client: Client, input: RetrainInput = {}, options: StartOptions = {}) =>
  startUnique(client, 'retrain', input, options);

/** Starts bootstrap under its fixed id; a running bootstrap is reported, not duplicated. */
export const startBootstrap = (client: Client, input: BootstrapInput = {}, options: StartOptions = {}) =>
  startUnique(client, 'bootstrap', input, options);
