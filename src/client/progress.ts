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
  // Woken early when the result settles. The timer stays ref'd: the gRPC channel does not hold the
  // event loop open, so with an unref'd timer a CLI process could exit before printing the result.
  let wake: () => void = () => undefined;
  const poll = async () => {
    while (!done) {
      try {
        const p = await handle.query<WorkflowProgress>(PROGRESS_QUERY);
        if (!done) onProgress(p);
      } catch {
        // Not started yet, or already closed: the result settles the wait either way.
      }
      if (done) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, intervalMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    done = true;
    wake();
    await polling;
  }
}
