/** Names derived from the workflow run, stable across its activity retries and replays. */
import { workflowInfo } from '@temporalio/workflow';

/** `<workflowId>-<firstExecutionRunId>`: unique per run, also for the fixed retrain id. */
export function runKey(): string {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  return `${workflowId}-${firstExecutionRunId}`;
}

/** A model version id from workflow time (deterministic on replay) and the run, e.g. `m20250101T120000Z-1a2b3c4d`. */
export function newVersionId(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `m${stamp}-${workflowInfo().firstExecutionRunId.replace(/-/g, '').slice(0, 8)}`;
}
