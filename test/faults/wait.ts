/** Bounded polling: every wait in the suite names what it waits for and fails loudly when it times out. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/**
 * Polls `probe` until it returns a value other than undefined/false; errors thrown by the probe count as
 * "not yet" (a service being restarted refuses connections) and the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs, intervalMs = 250 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      // A hung probe (a call to a service being restarted) must not stretch the wait past its bound.
      const left = Math.max(1000, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const v = await Promise.race([
        Promise.resolve(probe()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`probe still running after ${left} ms`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      // A case's own verdict (e.g. "the workflow failed") ends the wait at once.
      if (e instanceof Error && e.name === 'CaseFailure') throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new WaitTimeout(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
