import { waitUntilHealthy, type HealthCheck } from '../../../src/stack/health';

/** A fake clock: sleeping advances time instantly, so timeouts are tested without waiting. */
function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), elapsed: () => t };
}

const answers = (...oks: boolean[]): HealthCheck => {
  let i = 0;
  return async () => ((oks[i++] ?? false) ? { ok: true } : { ok: false, reason: `attempt ${i} refused` });
};

describe('waitUntilHealthy', () => {
  it('returns as soon as a check succeeds', async () => {
    const clock = fakeClock();
    const r = await waitUntilHealthy(answers(false, false, true), {
      timeoutMs: 10000,
      intervalMs: 100,
      ...clock,
    });
    expect(r).toEqual({ ok: true, elapsedMs: 200 });
  });

  it('gives up at the timeout and keeps the last reason', async () => {
    const clock = fakeClock();
    const r = await waitUntilHealthy(answers(), { timeoutMs: 1000, intervalMs: 300, ...clock });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.why).toBe('timeout');
    expect(r.elapsedMs).toBe(1000);
    expect(r.lastReason).toBe('attempt 5 refused');
  });

  it('stops early when the process has died', async () => {
    const clock = fakeClock();
    let alive = 3;
    const r = await waitUntilHealthy(answers(), {
      timeoutMs: 60000,
      intervalMs: 100,
      isAlive: () => alive-- > 0,
      ...clock,
    });
    expect(r).toMatchObject({ ok: false, why: 'exited' });
    expect(clock.elapsed()).toBe(300);
  });

  it('treats a throwing check as unhealthy, with its message', async () => {
    const clock = fakeClock();
    const r = await waitUntilHealthy(
      async () => {
        throw new Error('ECONNREFUSED');
      },
      { timeoutMs: 200, intervalMs: 100, ...clock },
    );
    expect(r).toMatchObject({ ok: false, why: 'timeout', lastReason: 'ECONNREFUSED' });
  });
});
