/** The MLflow link index is served stale while it refreshes, and a failing source is not asked on every call. */
import { refreshing } from '../../../src/serve/web/backend';

let now = 1_000_000;
beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
afterEach(() => jest.restoreAllMocks());
const settle = () => new Promise((r) => setImmediate(r));

describe('refreshing', () => {
  it('waits for the first value, then answers at once and refreshes in the background after the ttl', async () => {
    let n = 0;
    const fn = jest.fn(async () => ++n);
    const get = refreshing(1000, fn);
    expect(await get()).toBe(1);
    now += 500;
    expect(await get()).toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
    now += 600; // past the ttl: the old value now, the new one once fetched
    expect(await get()).toBe(1);
    await settle();
    expect(fn).toHaveBeenCalledTimes(2);
    expect(await get()).toBe(2);
  });

  it('remembers a failure for the ttl instead of asking again on every call', async () => {
    const fn = jest.fn(async () => {
      throw new Error('MLflow is down');
    });
    const get = refreshing(1000, fn);
    await expect(get()).rejects.toThrow('MLflow is down');
    await expect(get()).rejects.toThrow('MLflow is down');
    expect(fn).toHaveBeenCalledTimes(1);
    now += 1001;
    fn.mockResolvedValueOnce(undefined as never);
    await get();
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
