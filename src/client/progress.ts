/** Follows a running workflow through its `progress` query while waiting for its result. */
import type { WorkflowHandle } from '@temporalio/client';
import { PROGRESS_QUERY, type WorkflowProgress } from '../shared';

export type ProgressListener = (progress: WorkflowProgress) => void;

/**
 * Resolves with the workflow's result; meanwhile polls `progress` every `intervalMs` and passes each
 * answer on. A failed query is ignored: before the first workflow task runs there is nothing to ask.
 */
export async function resultWithProgress<T>(
  handle: WorkflowHandle,
  onProgress: ProgressListener | undefined,
  intervalMs = 1000,
): Promise<T> {
  const result = handle.result() as Promise<T>;
  if (!onProgress) return result;
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const p = await handle.query<WorkflowProgress>(PROGRESS_QUERY);
        if (!done) onProgress(p);
      } catch {
        // Not started yet, or already closed: the result settles the wait either way.
      }
      await new Promise((r) => setTimeout(r, intervalMs).unref());
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    done = true;
    await polling;
  }
}
