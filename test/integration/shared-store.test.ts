/**
 * The shared store over the real MLflow artifact proxy: what hosts without a shared disk exchange
 * folders through (FILE_EXCHANGE=mlflow). Batches come back from Kafka (stream.test.ts, readRange).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mlflowSharedStore } from '../../src/adapters/mlflow/shared-store';
import { loadConfig } from '../../src/config';
import { blobKey, fetchFolder, publishFolder, sharedManifest } from '../../src/domain/exchange/folders';
import { storeExchange } from '../../src/domain/exchange/exchange';

const cfg = loadConfig();
const root = `it-exchange/${Date.now()}-${randomBytes(3).toString('hex')}`;
const store = mlflowSharedStore(cfg.mlflow, root);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'it-exchange-'));

describe(`shared store on ${cfg.mlflow.trackingUri}`, () => {
  it('puts, gets and lists files; a missing file is undefined, not an error', async () => {
    await store.put('a/b/x.bin', Buffer.from([1, 2, 3]));
    expect(Buffer.from((await store.get('a/b/x.bin'))!)).toEqual(Buffer.from([1, 2, 3]));
    expect(await store.get('a/b/missing.bin')).toBeUndefined();
    expect(await store.list('a')).toEqual([{ name: 'b', isDir: true }]);
    expect(await store.list('nothing-here')).toEqual([]);
  });

  it('carries a folder from one host root to another, checked', async () => {
    const a = tmp();
    const b = tmp();
    const dir = path.join(a, 'runs', 'k1', 'staged', 'challenger');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'model.json'), '{"m":1}');
    await fs.writeFile(path.join(dir, 'weights.bin'), randomBytes(300_000));
    await storeExchange(store, a).publishFolder(dir);
    const copy = await storeExchange(store, b).folder(dir);
    expect(copy).toBe(path.join(b, 'runs', 'k1', 'staged', 'challenger'));
    expect(await fs.readFile(path.join(copy, 'weights.bin'))).toEqual(
      await fs.readFile(path.join(dir, 'weights.bin')),
    );
    // A changed byte in the store is refused, not copied.
    const { files } = (await sharedManifest(store, 'runs/k1/staged/challenger'))!;
    await store.put(blobKey(files['weights.bin']!), randomBytes(300_000));
    await expect(fetchFolder(store, 'runs/k1/staged/challenger', path.join(tmp(), 'c'))).rejects.toThrow(
      /weights\.bin has sha256 .* its manifest says/,
    );
    await publishFolder(store, 'runs/k1/staged/challenger', dir);
    expect(await fetchFolder(store, 'runs/k1/staged/challenger', copy)).toBe('cached');
  });
});
