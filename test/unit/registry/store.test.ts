import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCnn } from '../../../src/domain/model/architecture';
import { predict } from '../../../src/domain/model/evaluate';
import { modelWriter } from '../../../src/domain/model/persistence';
import { gitCommit } from '../../../src/adapters/git';
import type { ModelMetadata } from '../../../src/domain/registry/metadata';
import { ModelStore, ModelStoreError, type StoreFs } from '../../../src/domain/registry/store';
import { NON_RETRYABLE_ERROR_TYPES } from '../../../src/shared';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from '../model/tf';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const meta = (versionId: string, extra: Partial<ModelMetadata> = {}): ModelMetadata => ({
  versionId,
  createdAt: new Date().toISOString(),
  metrics: { valAccuracy: 0.98 },
  hyperparameters: { optimizer: 'adam', learningRate: 0.001, batchSize: 128, epochs: 12 },
  seed: 42,
  lineage: { splitManifestHash: 'ab'.repeat(32), batchIds: ['b-1'], parentVersionId: null },
  gitCommit: 'unknown',
  ...extra,
});

/** A stand-in for a model: two files with given content. */
const files =
  (weights: string) =>
  async (dir: string): Promise<void> => {
    await fsp.writeFile(path.join(dir, 'model.json'), '{"format":"layers-model"}');
    await fsp.writeFile(path.join(dir, 'weights.bin'), weights);
  };

const visible = (dir: string) => fs.readdirSync(dir).filter((n) => n !== '.gitkeep');

/** Exactly one champion: current_model is one symlink to a complete version folder. */
function expectOneCompleteChampion(store: ModelStore, versionId: string) {
  expect(fs.lstatSync(store.currentLink).isSymbolicLink()).toBe(true);
  expect(fs.readlinkSync(store.currentLink)).toBe(path.join('archive', versionId));
  expect(fs.readdirSync(store.currentLink).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
  expect(visible(store.modelsDir).filter((n) => n.includes('current_model'))).toEqual(['current_model']);
}

describe('ModelStore', () => {
  it('stores immutable versions with metadata and a content hash', async () => {
    const store = new ModelStore(root);
    const { path: dir, created } = await store.storeVersion(files('w1'), meta('v1'));
    expect(created).toBe(true);
    expect(dir).toBe(path.join(root, 'archive', 'v1'));
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
    expect(stored).toMatchObject({ versionId: 'v1', seed: 42, lineage: { batchIds: ['b-1'] } });
    expect(stored.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    await store.storeVersion(files('w2'), meta('v2'));
    expect((await store.listVersions()).map((v) => v.versionId)).toEqual(['v1', 'v2']);
    expect(visible(store.archiveDir).sort()).toEqual(['v1', 'v2']);
  });

  it('treats storing the same version again as a no-op and different content as an error', async () => {
    const store = new ModelStore(root);
    await store.storeVersion(files('w1'), meta('v1', { createdAt: '2026-01-01T00:00:00.000Z' }));
    const again = await store.storeVersion(files('w1'), meta('v1'));
    expect(again.created).toBe(false);
    expect((await store.listVersions())[0]!.createdAt).toBe('2026-01-01T00:00:00.000Z');
    await expect(store.storeVersion(files('other'), meta('v1'))).rejects.toThrow(
      /already exists .* different content/,
    );
    await expect(store.storeVersion(files('w1'), meta('v1', { seed: 1 }))).rejects.toThrow(ModelStoreError);
    expect(visible(store.archiveDir)).toEqual(['v1']);
  });

  it('promotes by swapping the pointer, keeps earlier champions in the archive, and logs history', async () => {
    let t = 0;
    const store = new ModelStore(root, { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)) });
    expect(await store.champion()).toBeNull();
    await store.storeVersion(files('w1'), meta('v1'));
    await store.storeVersion(files('w2'), meta('v2'));
    expect(await store.promote('v1')).toEqual({ changed: true, previousVersionId: null });
    expect(await store.promote('v2')).toEqual({ changed: true, previousVersionId: 'v1' });
    expectOneCompleteChampion(store, 'v2');
    expect((await store.champion())!.metadata.versionId).toBe('v2');
    expect(fs.existsSync(path.join(store.archiveDir, 'v1', 'weights.bin'))).toBe(true);

    expect(await store.promote('v2')).toEqual({ changed: false, previousVersionId: 'v2' });
    expect(await store.history()).toEqual([
      { versionId: 'v1', previousVersionId: null, promotedAt: '2026-01-01T00:00:00.000Z' },
      { versionId: 'v2', previousVersionId: 'v1', promotedAt: '2026-01-01T00:00:01.000Z' },
    ]);
  });

  it('rejects unknown versions, bad ids and bad metadata with clear messages', async () => {
    const store = new ModelStore(root);
    await expect(store.promote('v9')).rejects.toThrow(/no such version .* Store it with storeVersion first/);
    await expect(store.promote('../etc')).rejects.toThrow(/Invalid version id/);
    await expect(store.storeVersion(files('w'), meta('v1', { createdAt: 'yesterday' }))).rejects.toThrow(
      /Invalid model metadata: createdAt/,
    );
  });

  it('a crash after writing a version but before its rename leaves no trace of it', async () => {
    await new ModelStore(root).storeVersion(files('w1'), meta('v1'));
    await new ModelStore(root).promote('v1');
    const crashing = new ModelStore(root, {
      hooks: {
        afterVersionWritten: () => {
          throw new Error('simulated crash');
        },
      },
    });
    await expect(crashing.storeVersion(files('w2'), meta('v2'))).rejects.toThrow('simulated crash');
    const store = new ModelStore(root);
    expect((await store.listVersions()).map((v) => v.versionId)).toEqual(['v1']);
    expectOneCompleteChampion(store, 'v1');

    // A real crash leaves the temp folder behind: ignored by readers, cleared by the retry.
    fs.mkdirSync(path.join(store.archiveDir, '.tmp-v2-dead'));
    fs.writeFileSync(path.join(store.archiveDir, '.tmp-v2-dead', 'model.json'), '{');
    expect((await store.listVersions()).map((v) => v.versionId)).toEqual(['v1']);
    await store.storeVersion(files('w2'), meta('v2'));
    expect(visible(store.archiveDir).sort()).toEqual(['v1', 'v2']);
  });

  it('a crash after the pointer swap but before the history line leaves one champion; a retry records it', async () => {
    const store = new ModelStore(root);
    await store.storeVersion(files('w1'), meta('v1'));
    await store.storeVersion(files('w2'), meta('v2'));
    await store.promote('v1');
    const crashing = new ModelStore(root, {
      hooks: {
        afterPointerSwapped: () => {
          throw new Error('simulated crash');
        },
      },
    });
    await expect(crashing.promote('v2')).rejects.toThrow('simulated crash');
    expectOneCompleteChampion(store, 'v2');
    expect((await store.history()).map((h) => h.versionId)).toEqual(['v1']);

    expect((await store.promote('v2')).changed).toBe(false);
    expect((await store.history()).map((h) => [h.versionId, h.previousVersionId])).toEqual([
      ['v1', null],
      ['v2', 'v1'],
    ]);
  });

  it('ignores a torn last history line from a crash mid-append', async () => {
    const store = new ModelStore(root);
    await store.storeVersion(files('w1'), meta('v1'));
    await store.storeVersion(files('w2'), meta('v2'));
    await store.promote('v1');
    fs.appendFileSync(store.historyFile, '{"versionId":"v');
    expect((await store.history()).map((h) => h.versionId)).toEqual(['v1']);
    await store.promote('v2');
    expect((await store.history()).map((h) => h.versionId)).toEqual(['v1', 'v2']);
  });

  it('a read-only models folder gives a clear error and leaves the champion unchanged', async () => {
    const store = new ModelStore(root);
    await store.storeVersion(files('w1'), meta('v1'));
    await store.storeVersion(files('w2'), meta('v2'));
    await store.promote('v1');
    const erofs = (op: string) => async () => {
      throw Object.assign(new Error(`EROFS: read-only file system, ${op}`), { code: 'EROFS' });
    };
    // Root ignores permission bits, so the read-only mount is simulated in the fs layer.
    const readOnly: StoreFs = {
      ...fsp,
      mkdir: erofs('mkdir'),
      writeFile: erofs('open'),
      rename: erofs('rename'),
      symlink: erofs('symlink'),
      rm: erofs('rm'),
    };
    const locked = new ModelStore(root, { fs: readOnly });
    await expect(locked.storeVersion(files('w3'), meta('v3'))).rejects.toThrow(
      /Model store .* is not writable: cannot create .*archive \(EROFS\)\. Make the folder writable .* champion was not changed/,
    );
    await expect(locked.promote('v2')).rejects.toThrow(/not writable: cannot create .*current_model\.tmp/);
    // Retryable: the activity waits for an operator to free the folder instead of failing the cycle.
    const err = await locked.promote('v2').catch((e: Error) => e);
    expect(err).toBeInstanceOf(ModelStoreError);
    expect((NON_RETRYABLE_ERROR_TYPES as readonly string[]).includes((err as Error).name)).toBe(false);
    expectOneCompleteChampion(store, 'v1');
    expect((await store.listVersions()).map((v) => v.versionId)).toEqual(['v1', 'v2']);
  });

  it('takes over an empty legacy current_model folder but not one with content', async () => {
    const store = new ModelStore(root);
    await store.storeVersion(files('w1'), meta('v1'));
    fs.mkdirSync(store.currentLink);
    fs.writeFileSync(path.join(store.currentLink, '.gitkeep'), '');
    expect(await store.champion()).toBeNull();
    await store.promote('v1');
    expectOneCompleteChampion(store, 'v1');

    fs.rmSync(store.currentLink);
    fs.mkdirSync(store.currentLink);
    fs.writeFileSync(path.join(store.currentLink, 'model.json'), '{}');
    await expect(store.champion()).rejects.toThrow(/not the champion pointer/);
  });

  it('stores and loads a real model: the champion predicts as the model did', async () => {
    const store = new ModelStore(root);
    const model = createCnn(tf, HYPER);
    await store.storeVersion(
      modelWriter(tf, model),
      meta('cnn-1', { gitCommit: await gitCommit(process.cwd()) }),
    );
    await store.promote('cnn-1');
    const loaded = await store.loadChampion(tf);
    const images = readMnist('t10k', 20).images;
    expect(await predict(tf, loaded!.model, images)).toEqual(await predict(tf, model, images));
    expect(loaded!.champion.metadata.gitCommit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    model.dispose();
    loaded!.model.dispose();
  });
});

describe('gitCommit', () => {
  it('reads HEAD in a checkout and says "unknown" elsewhere', async () => {
    const inRepo = await gitCommit(path.resolve(__dirname, '../../..'));
    expect(inRepo === 'unknown' || /^[0-9a-f]{40}$/.test(inRepo)).toBe(true);
    expect(await gitCommit(os.tmpdir())).toBe('unknown');
  });
});
