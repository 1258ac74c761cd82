import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  KnownBlobs,
  MANIFEST,
  blobKey,
  fetchFolder,
  publishFolder,
} from '../../../src/domain/exchange/folders';
import {
  COPY_TTL_MS,
  localPathOf,
  sharedDiskExchange,
  sharedKeyOf,
  storeExchange,
} from '../../../src/domain/exchange/exchange';
import { ExchangeError } from '../../../src/domain/exchange/port';
import { memorySharedStore } from '../../support/memory-shared-store';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'exchange-'));

async function modelFolder(): Promise<string> {
  const dir = path.join(tmp(), 'model');
  await fs.mkdir(path.join(dir, 'shards'), { recursive: true });
  await fs.writeFile(path.join(dir, 'model.json'), '{"format":"layers-model"}');
  await fs.writeFile(path.join(dir, 'shards', 'weights.bin'), Buffer.from([1, 2, 3, 4]));
  return dir;
}

describe('folders through the shared store', () => {
  it('publishes files then the manifest, and fetches a checked copy', async () => {
    const store = memorySharedStore();
    const src = await modelFolder();
    const m = await publishFolder(store, 'runs/k/staged/challenger', src);
    expect(Object.keys(m.files).sort()).toEqual(['model.json', 'shards/weights.bin']);
    expect([...store.files.keys()].at(-1)).toBe(`runs/k/staged/challenger/${MANIFEST}`);
    const dest = path.join(tmp(), 'copy');
    expect(await fetchFolder(store, 'runs/k/staged/challenger', dest)).toBe('fetched');
    expect(await fs.readFile(path.join(dest, 'shards', 'weights.bin'))).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(await fetchFolder(store, 'runs/k/staged/challenger', dest)).toBe('cached');
  });

  it('fetches again when the local copy was changed', async () => {
    const store = memorySharedStore();
    await publishFolder(store, 'models/m1', await modelFolder());
    const dest = path.join(tmp(), 'copy');
    await fetchFolder(store, 'models/m1', dest);
    await fs.writeFile(path.join(dest, 'model.json'), '{"tampered":true}');
    expect(await fetchFolder(store, 'models/m1', dest)).toBe('fetched');
    expect(await fs.readFile(path.join(dest, 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
  });

  it('refuses a shared file that does not match its manifest, and leaves no partial copy', async () => {
    const store = memorySharedStore();
    const m = await publishFolder(store, 'models/m1', await modelFolder());
    store.files.set(blobKey(m.files['shards/weights.bin']!), new Uint8Array([9, 9]));
    const parent = tmp();
    const err = await fetchFolder(store, 'models/m1', path.join(parent, 'copy')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).code).toBe('corrupt');
    expect((err as Error).message).toMatch(/shards\/weights\.bin has sha256 .* its manifest says/);
    expect(await fs.readdir(parent)).toEqual([]);
  });

  it('stores a blob once, and a host that knows it neither uploads nor downloads it again', async () => {
    const store = memorySharedStore();
    const gets: string[] = [];
    const puts: string[] = [];
    const counted = {
      ...store,
      put: (k: string, b: Uint8Array) => (puts.push(k), store.put(k, b)),
      get: (k: string) => (gets.push(k), store.get(k)),
    };
    const trainer = new KnownBlobs();
    const staged = await modelFolder();
    const m = await publishFolder(counted, 'runs/k/staged/challenger', staged, trainer);
    // The IO host fetches the staged model and publishes it as a version with one file more.
    const io = new KnownBlobs();
    const version = path.join(tmp(), 'version');
    await fetchFolder(counted, 'runs/k/staged/challenger', version, io);
    await fs.writeFile(path.join(version, 'metadata.json'), '{"versionId":"m1"}');
    puts.length = 0;
    await publishFolder(counted, 'models/m1', version, io);
    expect(puts.sort()).toEqual([expect.stringMatching(/^blobs\//), `models/m1/${MANIFEST}`]);
    // Back on the trainer as the champion: its own files serve, only the new one is downloaded.
    gets.length = 0;
    const champion = path.join(tmp(), 'champion');
    expect(await fetchFolder(counted, 'models/m1', champion, trainer)).toBe('fetched');
    expect(gets.filter((k) => k.startsWith('blobs/'))).toHaveLength(1);
    expect(gets).not.toContain(blobKey(m.files['shards/weights.bin']!));
    expect(await fs.readFile(path.join(champion, 'shards', 'weights.bin'))).toEqual(
      Buffer.from([1, 2, 3, 4]),
    );
    // A local file that changed since is not trusted: the blob comes from the store.
    await fs.writeFile(path.join(version, 'model.json'), '{"changed":true}');
    gets.length = 0;
    const third = path.join(tmp(), 'third');
    await fetchFolder(counted, 'runs/k/staged/challenger', third, io);
    expect(gets).toContain(blobKey(m.files['model.json']!));
    expect(await fs.readFile(path.join(third, 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
  });

  it('says a folder with no manifest is not published (a writer that died mid-upload)', async () => {
    const store = memorySharedStore();
    await store.put('models/m2/model.json', Buffer.from('{}'));
    await expect(fetchFolder(store, 'models/m2', path.join(tmp(), 'c'))).rejects.toThrow(
      /not in the shared store \(no MANIFEST\.json\)/,
    );
  });
});

describe('the layout keys', () => {
  it('names run files and model versions by their place under the root, whatever the root', () => {
    expect(sharedKeyOf('/srv/a/runs/x/data/runs/retrain-1/staged/challenger')).toBe(
      'runs/retrain-1/staged/challenger',
    );
    expect(sharedKeyOf('/h/data/runs/k/checkpoints/fineTuneChallenger/epoch-2.fed.json')).toBe(
      'runs/k/checkpoints/fineTuneChallenger/epoch-2.fed.json',
    );
    expect(sharedKeyOf('/h/data/runs/k/report-challenger.json')).toBe('runs/k/report-challenger.json');
    expect(sharedKeyOf('/h/models/archive/m20260101T000000Z-1a2b3c4d')).toBe(
      'models/m20260101T000000Z-1a2b3c4d',
    );
    expect(sharedKeyOf('/h/data/to_use_for_training/t-0-0-9.msb')).toBeUndefined();
    expect(localPathOf('/b', 'runs/k/staged/c')).toBe(path.join('/b', 'runs', 'k', 'staged', 'c'));
    expect(localPathOf('/b', 'models/m1')).toBe(path.join('/b', 'exchange', 'models', 'm1'));
  });

  it('hands a host its own copy of a folder another host published, and lists complete checkpoints only', async () => {
    const store = memorySharedStore();
    const a = storeExchange(store, path.join(tmp(), 'a-data'));
    const bData = path.join(tmp(), 'b-data');
    const b = storeExchange(store, bData);
    const ckpts = path.join(tmp(), 'a-data', 'runs', 'k', 'checkpoints', 'fineTuneChallenger');
    const epoch1 = path.join(ckpts, 'epoch-1');
    await fs.cp(await modelFolder(), epoch1, { recursive: true });
    await a.publishFolder(epoch1);
    await store.put('runs/k/checkpoints/fineTuneChallenger/epoch-2/model.json', Buffer.from('{}'));
    expect(await b.publishedEpochs(ckpts)).toEqual([1]);
    const local = await b.folder(epoch1);
    expect(local).toBe(path.join(bData, 'runs', 'k', 'checkpoints', 'fineTuneChallenger', 'epoch-1'));
    expect(await fs.readFile(path.join(local, 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
    // A copy found intact is touched, so pruneCopies keeps a copy in use.
    const longAgo = new Date(Date.now() - 2 * COPY_TTL_MS);
    await fs.utimes(local, longAgo, longAgo);
    await b.folder(epoch1);
    expect(Date.now() - (await fs.stat(local)).mtimeMs).toBeLessThan(COPY_TTL_MS);
    await expect(b.folder('/elsewhere/model')).rejects.toThrow(/not in the pipeline's file layout/);
  });
});

describe("a host's copies", () => {
  it('drops other runs and model versions nobody touched for the TTL, keeps the current run and fresh ones', async () => {
    const dataDir = tmp();
    const ex = storeExchange(memorySharedStore(), dataDir);
    const make = async (rel: string, ageMs: number) => {
      const file = path.join(dataDir, rel);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, 'x');
      const t = new Date(Date.now() - ageMs);
      // Every level of the tree old, as after an hour untouched.
      for (let p = file; p !== dataDir; p = path.dirname(p)) await fs.utimes(p, t, t);
    };
    const old = COPY_TTL_MS + 60_000;
    await make('runs/done/staged/challenger/weights.bin', old);
    await make('runs/current/checkpoints/fineTuneChallenger/epoch-1/weights.bin', old);
    await make('runs/busy/report-x.json', old);
    await make('runs/busy/checkpoints/fineTuneChallenger/epoch-9/weights.bin', 1000);
    await make('exchange/models/m-old/weights.bin', old);
    await make('exchange/models/m-new/weights.bin', 1000);
    await ex.pruneCopies('current');
    expect((await fs.readdir(path.join(dataDir, 'runs'))).sort()).toEqual(['busy', 'current']);
    expect(await fs.readdir(path.join(dataDir, 'exchange', 'models'))).toEqual(['m-new']);
    // One machine: nothing is a copy, nothing goes.
    await make('runs/done/staged/challenger/weights.bin', old);
    await sharedDiskExchange().pruneCopies('current');
    expect(await fs.readdir(path.join(dataDir, 'runs'))).toContain('done');
  });
});
