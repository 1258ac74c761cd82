/**
 * Starts the one retrain from inside a workflow. Schedules cannot give their runs a fixed id, and a lag
 * trigger must not wait for the retrain it starts, so both start retrainWorkflow as an abandoned child
 * under the fixed id: the server refuses a second start while one runs, which is our mutual exclusion.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WORKFLOW_IDS, type RetrainInput, type RetrainStart } from '../shared';
import { retrainWorkflow } from './retrain';

export async function startRetrainIfIdle(
  input: RetrainInput = {},
  workflowId: string = WORKFLOW_IDS.retrain,
): Promise<RetrainStart> {
  try {
    const child = await startChild(retrainWorkflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return { status: 'started', workflowId: child.workflowId, runId: child.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { status: 'skipped', reason: `a retrain is running (workflow id ${workflowId})` };
    }
    throw err;
  }
}
