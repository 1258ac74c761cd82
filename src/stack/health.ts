/** Waiting for a service to become healthy, with the clock injected so the timing rules are testable. */

export type HealthCheck = () => Promise<{ ok: true } | { ok: false; reason: string }>;

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** False once the service's process has died: no point waiting out the timeout then. */
  isAlive?: () => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type WaitResult =
  | { ok: true; elapsedMs: number }
  | { ok: false; elapsedMs: number; why: 'timeout' | 'exited'; lastReason: string };

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntilHealthy(check: HealthCheck, opts: WaitOptions): Promise<WaitResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const interval = opts.intervalMs ?? 250;
  const start = now();
  let lastReason = 'not checked yet';
  for (;;) {
    try {
      const r = await check();
      if (r.ok) return { ok: true, elapsedMs: now() - start };
      lastReason = r.reason;
    } catch (e) {
      lastReason = e instanceof Error ? e.message : String(e);
    }
    const elapsedMs = now() - start;
    if (opts.isAlive && !opts.isAlive()) return { ok: false, elapsedMs, why: 'exited', lastReason };
    if (elapsedMs >= opts.timeoutMs) return { ok: false, elapsedMs, why: 'timeout', lastReason };
    await sleep(Math.min(interval, opts.timeoutMs - elapsedMs));
  }
}
