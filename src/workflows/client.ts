/**
 * Client-side starters for the CLI, schedules and tests (not part of the workflow bundle: index.ts does not
 * export this file). They use the fixed ids, so a second start of a running retrain or bootstrap is
 * reported instead of queued.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  TASK_QUEUES,
  WORKFLOW_IDS,
  type BootstrapInput,
  type RetrainInput,
  type RetrainStart,
} from '../shared';
import type { bootstrapWorkflow, retrainWorkflow } from './index';

export interface StartOptions {
  /** Defaults to TASK_QUEUES.io, where the IO worker hosts the workflows. */
  readonly taskQueue?: string;
  readonly workflowId?: string;
}

/** Starts a retrain unless one is running (then reports it). */
export async function startRetrain(
  client: Client,
  input: RetrainInput = {},
  options: StartOptions = {},
): Promise<RetrainStart> {
  const workflowId = options.workflowId ?? WORKFLOW_IDS.retrain;
  try {
    const handle = await client.workflow.start<typeof retrainWorkflow>('retrainWorkflow', {
      taskQueue: options.taskQueue ?? TASK_QUEUES.io,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    });
    return { status: 'started', workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { status: 'skipped', reason: `a retrain is running (workflow id ${workflowId})` };
    }
    throw err;
  }
}

/** Starts bootstrap under its fixed id; a running bootstrap is reported, not duplicated. */
export async function startBootstrap(
  client: Client,
  input: BootstrapInput = {},
  options: StartOptions = {},
): Promise<RetrainStart> {
  const workflowId = options.workflowId ?? WORKFLOW_IDS.bootstrap;
  try {
    const handle = await client.workflow.start<typeof bootstrapWorkflow>('bootstrapWorkflow', {
      taskQueue: options.taskQueue ?? TASK_QUEUES.io,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    });
    return { status: 'started', workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { status: 'skipped', reason: `a bootstrap is running (workflow id ${workflowId})` };
    }
    throw err;
  }
}
