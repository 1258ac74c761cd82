import { splitBySize } from '../../../src/adapters/kafka/producer';

const msg = (i: number, bytes: number) => ({
  key: `k${i}`,
  value: Buffer.alloc(bytes),
  headers: { label: '1' },
});

describe('splitBySize', () => {
  it('keeps order and puts every message in exactly one request under the limit', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => msg(i, 784));
    const parts = splitBySize(messages, 100_000);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.flat()).toEqual(messages);
    for (const p of parts)
      expect(p.reduce((s, m) => s + (m.value?.length ?? 0), 0)).toBeLessThanOrEqual(100_000);
  });

  it('sends a single oversized message alone rather than dropping it', () => {
    const parts = splitBySize([msg(0, 10), msg(1, 5000), msg(2, 10)], 1000);
    expect(parts.map((p) => p.map((m) => m.key))).toEqual([['k0'], ['k1'], ['k2']]);
  });

  it('sends nothing for no messages', () => {
    expect(splitBySize([])).toEqual([]);
  });
});
