import { PredictionLog, type PredictionEntry } from '../../../src/domain/serving/prediction-log';

const entry = (i: number): PredictionEntry => ({
  requestId: `r${i}`,
  index: 0,
  versionId: 'v1',
  digit: i % 10,
  probabilities: [],
  latencyMs: 1,
  source: 'oip',
  servedAt: new Date(0).toISOString(),
});

function sink() {
  const sent: string[] = [];
  const calls: number[] = [];
  let down = false;
  return {
    sent,
    calls,
    setDown: (d: boolean) => (down = d),
    async send(entries: readonly PredictionEntry[]) {
      calls.push(entries.length);
      await new Promise((r) => setTimeout(r, 1));
      if (down) throw new Error('broker unreachable');
      sent.push(...entries.map((e) => e.requestId));
    },
  };
}

describe('PredictionLog', () => {
  it('sends appended entries in order, in batches of at most batchSize', async () => {
    const s = sink();
    const log = new PredictionLog(s, { capacity: 100, batchSize: 4 });
    for (let i = 0; i < 10; i++) log.append([entry(i)]);
    expect(await log.flush(1000)).toBe(true);
    expect(s.sent).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(Math.max(...s.calls)).toBeLessThanOrEqual(4);
    expect(log.stats()).toMatchObject({ sent: 10, dropped: 0, buffered: 0 });
  });

  it('never blocks append while the sink is down; beyond the bound drops the oldest and counts them', async () => {
    const s = sink();
    s.setDown(true);
    const log = new PredictionLog(s, { capacity: 5, batchSize: 2, retryMs: 5, maxRetryMs: 10 });
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) log.append([entry(i)]);
    expect(performance.now() - t0).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 30));
    const stats = log.stats();
    expect(stats.buffered).toBeLessThanOrEqual(5);
    expect(stats.failedSends).toBeGreaterThan(0);
    expect(stats.lastError).toMatch(/unreachable/);
    expect(stats.dropped + stats.buffered).toBe(20);
    // Back up: the newest entries that were kept arrive, in order.
    s.setDown(false);
    expect(await log.flush(1000)).toBe(true);
    expect(s.sent).toEqual(['r15', 'r16', 'r17', 'r18', 'r19']);
    expect(log.stats()).toMatchObject({ sent: 5, dropped: 15 });
  });

  it('close gives up after its timeout and counts what is left as dropped', async () => {
    const s = sink();
    s.setDown(true);
    const log = new PredictionLog(s, { capacity: 10, batchSize: 10, retryMs: 5 });
    log.append([entry(1), entry(2)]);
    await log.close(30);
    expect(log.stats()).toMatchObject({ sent: 0, dropped: 2, buffered: 0 });
  });
});
