import {
  ChampionFollower,
  ModelLease,
  NoChampionError,
  type ChampionSource,
  type ModelLoader,
  type ServedModel,
} from '../../../src/domain/serving/champion';
import type { StoredMetadata } from '../../../src/domain/registry/metadata';

interface FakeModel extends ServedModel {
  disposed: boolean;
}

/** A fake model whose predict waits on a gate the test opens, so in-flight work can be held open. */
function fakeModel(versionId: string): FakeModel & { gate: () => void } {
  let open: () => void = () => undefined;
  let gate = new Promise<void>((r) => (open = r));
  const m = {
    versionId,
    metadata: { versionId } as StoredMetadata,
    disposed: false,
    async predict(_images: Float32Array, count: number) {
      if (m.disposed) throw new Error(`${versionId} used after dispose`);
      await gate;
      gate = Promise.resolve();
      return new Float32Array(count * 10);
    },
    dispose() {
      m.disposed = true;
    },
    gate: () => open(),
  };
  return m;
}

function fakeSource(initial: string | null) {
  let version = initial;
  let notify: () => void = () => undefined;
  const source: ChampionSource = {
    championVersion: async () => version,
    watch(onChange) {
      notify = onChange;
      return () => (notify = () => undefined);
    },
  };
  return { source, promote: (v: string) => ((version = v), notify()) };
}

function fakeLoader(loadGate?: Promise<void>) {
  const models = new Map<string, ReturnType<typeof fakeModel>>();
  const loader: ModelLoader = {
    async load(versionId) {
      await loadGate;
      if (versionId === 'broken') throw new Error('weights.bin is truncated');
      const m = fakeModel(versionId);
      models.set(versionId, m);
      return m;
    },
  };
  return { loader, models };
}

const quietLog = { swapped: jest.fn(), loadFailed: jest.fn() };

describe('ChampionFollower (hot swap)', () => {
  it('refuses to start without a champion, naming the command that makes one', async () => {
    const f = new ChampionFollower(fakeSource(null).source, fakeLoader().loader, quietLog, '/models');
    await expect(f.start()).rejects.toBeInstanceOf(NoChampionError);
    await expect(f.start()).rejects.toThrow(/npm run demo.*bootstrap/);
  });

  it('serves the old model until the new one is loaded, then swaps; in-flight work finishes on the old one', async () => {
    const { source, promote } = fakeSource('v1');
    let releaseLoad: () => void = () => undefined;
    const { loader, models } = fakeLoader();
    const gatedLoader: ModelLoader = {
      load: async (v) => {
        if (v !== 'v1') await new Promise<void>((r) => (releaseLoad = r));
        return loader.load(v);
      },
    };
    const log = { swapped: jest.fn(), loadFailed: jest.fn() };
    const f = new ChampionFollower(source, gatedLoader, log, '/models');
    await f.start();
    const oldLease = f.current()!;
    models.get('v1')!.gate(); // warm-up style: let v1 answer immediately from now on
    const inFlight = oldLease.use((m) => m.predict(new Float32Array(784), 1).then(() => m.versionId));

    promote('v2');
    await new Promise((r) => setTimeout(r, 5));
    // Still loading v2: requests keep going to v1.
    expect(f.current()!.model.versionId).toBe('v1');
    releaseLoad();
    await f.check();
    expect(f.current()!.model.versionId).toBe('v2');
    expect(log.swapped).toHaveBeenCalledWith(expect.objectContaining({ from: 'v1', to: 'v2' }));
    expect(await inFlight).toBe('v1');
    expect(models.get('v1')!.disposed).toBe(true);
    expect(models.get('v2')!.disposed).toBe(false);
    expect(f.swaps).toBe(1);
    await f.close();
    expect(models.get('v2')!.disposed).toBe(true);
  });

  it('disposes a replaced model only after its last in-flight batch ends', async () => {
    const { source, promote } = fakeSource('v1');
    const { loader, models } = fakeLoader();
    const f = new ChampionFollower(source, loader, quietLog, '/models');
    await f.start();
    const v1 = models.get('v1')!;
    const running = f.current()!.use((m) => m.predict(new Float32Array(784), 1));
    promote('v2');
    await f.check();
    expect(f.current()!.model.versionId).toBe('v2');
    expect(v1.disposed).toBe(false); // its batch still runs
    v1.gate();
    await running;
    expect(v1.disposed).toBe(true);
  });

  it('keeps serving the old champion when the new one fails to load, and logs it once', async () => {
    const { source, promote } = fakeSource('v1');
    const log = { swapped: jest.fn(), loadFailed: jest.fn() };
    const f = new ChampionFollower(source, fakeLoader().loader, log, '/models');
    await f.start();
    promote('broken');
    await f.check();
    await f.check();
    expect(f.current()!.model.versionId).toBe('v1');
    expect(log.loadFailed).toHaveBeenCalledTimes(1);
    expect(log.loadFailed.mock.calls[0][1].message).toMatch(/truncated/);
    promote('v3');
    await f.check();
    expect(f.current()!.model.versionId).toBe('v3');
  });

  it('coalesces changes noticed during a load and ends on the latest champion', async () => {
    const { source, promote } = fakeSource('v1');
    const { loader } = fakeLoader();
    const loads: string[] = [];
    const counting: ModelLoader = { load: (v) => (loads.push(v), loader.load(v)) };
    const f = new ChampionFollower(source, counting, quietLog, '/models');
    await f.start();
    promote('v2');
    promote('v3');
    promote('v4');
    for (let i = 0; i < 10 && f.current()!.model.versionId !== 'v4'; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(f.current()!.model.versionId).toBe('v4');
    expect(loads.length).toBeLessThanOrEqual(3); // v1, and not one load per notification
  });

  it('a lease refuses use after disposal', async () => {
    const m = fakeModel('v1');
    const lease = new ModelLease(m);
    lease.retire();
    expect(lease.isDisposed).toBe(true);
    await expect(lease.use(async () => 1)).rejects.toThrow(/after it was disposed/);
  });
});
