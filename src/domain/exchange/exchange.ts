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
  /**
   * Removes this host's copies of other runs' files and of model versions, untouched for an hour: without
   * a shared disk they pile up on every host (~20 MB a cycle on a training host), and the shared store
   * holds them all. Nothing on one machine (cleanUpRun removes a finished run's folder there).
   */
  pruneCopies(currentKey: string): Promise<void>;
}

/** How long a host keeps a copy nobody touched: well beyond a cycle, so a running one never loses its files. */
export const COPY_TTL_MS = 60 * 60 * 1000;

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

/** Under DATA_DIR: this host's copies of keys outside the run folders (model versions on training hosts). */
const COPIES_DIR = 'exchange';

/** Where this host keeps its copy of a key: run files at their place under DATA_DIR, the rest in a cache. */
export function localPathOf(dataDir: string, key: string): string {
  const parts = key.split('/');
  return parts[0] === 'runs' ? path.join(dataDir, ...parts) : path.join(dataDir, COPIES_DIR, ...parts);
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
    pruneCopies: async () => undefined,
  };
}

/** The latest modification time in a file tree: a run still writing checkpoints is recent however old its folder. */
async function newestChange(entry: string): Promise<number> {
  const stat = await fs.stat(entry).catch(() => undefined);
  if (!stat) return Infinity;
  if (!stat.isDirectory()) return stat.mtimeMs;
  const names = await fs.readdir(entry).catch(() => [] as string[]);
  const inside = await Promise.all(names.map((n) => newestChange(path.join(entry, n))));
  return Math.max(stat.mtimeMs, ...inside);
}

/** Removes the entries of `dir` but `keep` in which nothing changed for the TTL. */
async function pruneOlder(dir: string, keep: string | undefined, now: number): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (name === keep) continue;
    const entry = path.join(dir, name);
    if (now - (await newestChange(entry)) > COPY_TTL_MS) await fs.rm(entry, { recursive: true, force: true });
  }
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
      // A copy in use is kept by pruneCopies: a check that found it intact counts as a touch.
      if ((await fetchFolder(store, key, local, known)) === 'cached') {
        const now = new Date();
        await fs.utimes(local, now, now);
      }
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
    async pruneCopies(currentKey) {
      const now = Date.now();
      await pruneOlder(path.join(dataDir, 'runs'), currentKey, now);
      await pruneOlder(path.join(dataDir, COPIES_DIR, 'models'), undefined, now);
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
