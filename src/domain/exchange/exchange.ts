/**
 * Files one worker writes and a worker on another host reads: staged models, checkpoints, evaluation
 * reports, model versions and the champion pointer. Activities pass each other paths in the pipeline's
 * layout (DATA_DIR/runs/<key>/…, MODELS_DIR/archive/<version>); the part after the root is the file's
 * key in the shared store, and each host keeps its copy at that key under its own root.
 *
 * FILE_EXCHANGE=shared-disk (one machine, the default): every path is used as it is and nothing is
 * uploaded. FILE_EXCHANGE=mlflow: writers publish through the SharedStore, readers fetch a copy that is
 * checked against the published sha256 every time it is used.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../../durable-file';
import { KnownBlobs, MANIFEST, fetchFolder, publishFolder, sharedManifest } from './folders';
import { ExchangeError, type SharedStore } from './port';
import { storedMetadataSchema } from '../registry/metadata';
import { ARCHIVE, METADATA, type ModelStore } from '../registry/store';

export interface Exchange {
  readonly shared: boolean;
  /** Makes a folder this worker wrote readable by other hosts. */
  publishFolder(localDir: string): Promise<void>;
  /** This host's verified copy of a folder named by a path (maybe another host's). */
  folder(p: string): Promise<string>;
  publishFile(localFile: string): Promise<void>;
  /** This host's copy of a file named by a path (maybe another host's). */
  file(p: string): Promise<string>;
  /** Epochs of the checkpoints published for a checkpoints folder, e.g. runs/<key>/checkpoints/<activity>. */
  publishedEpochs(checkpointsDir: string): Promise<number[]>;
  /** The champion every host follows: set on promotion, read by hosts syncing their local view. */
  publishChampion(versionId: string): Promise<void>;
  sharedChampion(): Promise<string | undefined>;
}

// The run folder's own entries (runpaths in run-files.ts): the parents of DATA_DIR may be named runs too.
const RUN_FILE =
  /(?:^|[\\/])(runs[\\/][A-Za-z0-9][A-Za-z0-9._-]*[\\/](?:(?:checkpoints|staged)[\\/].+|report-[^\\/]+))$/;
const VERSION = new RegExp(`(?:^|[\\\\/])${ARCHIVE}[\\\\/]([A-Za-z0-9][A-Za-z0-9._-]*)[\\\\/]?$`);
const CHAMPION_KEY = 'champion.json';

/** The shared key of a path in the layout, or undefined for a path outside it. */
export function sharedKeyOf(p: string): string | undefined {
  const run = RUN_FILE.exec(p);
  if (run) return run[1]!.split(/[\\/]/).join('/');
  const version = VERSION.exec(p);
  return version ? `models/${version[1]}` : undefined;
}

/** Where this host keeps its copy of a key: run files at their place under DATA_DIR, the rest in a cache. */
export function localPathOf(dataDir: string, key: string): string {
  const parts = key.split('/');
  return parts[0] === 'runs' ? path.join(dataDir, ...parts) : path.join(dataDir, 'exchange', ...parts);
}

export function sharedDiskExchange(): Exchange {
  return {
    shared: false,
    publishFolder: async () => undefined,
    folder: async (p) => p,
    publishFile: async () => undefined,
    file: async (p) => p,
    publishedEpochs: async () => [],
    publishChampion: async () => undefined,
    sharedChampion: async () => undefined,
  };
}

export function storeExchange(store: SharedStore, dataDir: string): Exchange {
  const known = new KnownBlobs();
  const keyOf = (p: string) => {
    const key = sharedKeyOf(p);
    if (!key) {
      throw new ExchangeError(
        'missing',
        `${p} is not in the pipeline's file layout (DATA_DIR/runs/<key>/… or MODELS_DIR/${ARCHIVE}/<version>), so no other host can read it`,
      );
    }
    return key;
  };
  return {
    shared: true,
    async publishFolder(localDir) {
      await publishFolder(store, keyOf(localDir), localDir, known);
    },
    async folder(p) {
      const key = keyOf(p);
      const local = localPathOf(dataDir, key);
      await fetchFolder(store, key, local, known);
      return local;
    },
    async publishFile(localFile) {
      await store.put(keyOf(localFile), await fs.readFile(localFile));
    },
    async file(p) {
      const key = keyOf(p);
      const bytes = await store.get(key);
      if (!bytes) throw new ExchangeError('missing', `${key} is not in the shared store yet`);
      const local = localPathOf(dataDir, key);
      await writeFileDurable(local, bytes);
      return local;
    },
    async publishedEpochs(checkpointsDir) {
      const key = keyOf(checkpointsDir);
      const epochs: number[] = [];
      for (const e of await store.list(key)) {
        const n = Number(/^epoch-(\d+)$/.exec(e.name)?.[1] ?? NaN);
        // Complete only once its manifest is there (written last).
        if (e.isDir && n > 0 && (await sharedManifest(store, `${key}/${e.name}`))) epochs.push(n);
      }
      return epochs.sort((a, b) => a - b);
    },
    async publishChampion(versionId) {
      await store.put(CHAMPION_KEY, Buffer.from(JSON.stringify({ versionId })));
    },
    async sharedChampion() {
      const raw = await store.get(CHAMPION_KEY);
      return raw
        ? (JSON.parse(Buffer.from(raw).toString('utf8')) as { versionId: string }).versionId
        : undefined;
    },
  };
}

/**
 * The version in this host's model store: when missing, its published folder is fetched (every file
 * checked) and stored, and the stored content hash must be the one it was published with.
 */
export async function ensureLocalVersion(
  store: ModelStore,
  exchange: Exchange,
  versionId: string,
): Promise<void> {
  if (!exchange.shared || (await store.version(versionId))) return;
  const fetched = await exchange.folder(store.versionPath(versionId));
  const { contentSha256, ...metadata } = storedMetadataSchema.parse(
    JSON.parse(await fs.readFile(path.join(fetched, METADATA), 'utf8')),
  );
  const files = (await fs.readdir(fetched)).filter((n) => n !== METADATA && n !== MANIFEST);
  await store.storeVersion(async (dir) => {
    for (const f of files) await fs.copyFile(path.join(fetched, f), path.join(dir, f));
  }, metadata);
  const stored = await store.version(versionId);
  if (stored?.contentSha256 !== contentSha256) {
    throw new ExchangeError(
      'corrupt',
      `model version ${versionId} fetched from the shared store hashes to ${stored?.contentSha256}, it was published as ${contentSha256}`,
    );
  }
}

/** Points this host's current_model at the shared champion (fetching it when needed); returns its id. */
export async function syncChampion(store: ModelStore, exchange: Exchange): Promise<string | undefined> {
  if (!exchange.shared) return undefined;
  const versionId = await exchange.sharedChampion();
  if (!versionId) return undefined;
  await ensureLocalVersion(store, exchange, versionId);
  await store.promote(versionId);
  return versionId;
}
