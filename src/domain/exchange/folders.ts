/**
 * Folders (a model, a checkpoint) through the shared store, by content: each file's bytes are a blob
 * under `blobs/<sha256>`, stored once however many folders hold them, and a folder is its MANIFEST.json
 * (file → sha256), written last: a folder without a manifest is incomplete and is never read.
 * A host's local copy is a cache, checked against the manifest every time it is used; a copy that
 * does not match is fetched again, and a fetched file that does not match is refused.
 *
 * By content because the same weights travel several times a cycle: the staged challenger is stored as
 * a model version (same files plus metadata) and, once promoted, comes back as the next cycle's champion
 * to the host that trained it. Known blobs are neither uploaded again nor downloaded (bench:scale).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256Hex as sha256 } from '../data/idx';
import { ExchangeError, type SharedStore } from './port';

export const MANIFEST = 'MANIFEST.json';

export const blobKey = (sha: string) => `blobs/${sha}`;

export interface FolderManifest {
  /** Relative file name (`/`-separated) → sha256 hex of its blob. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * What one process knows of blobs: which are in the store (it put or got them) and a local file that
 * held each. A local file is only a lead: it is hashed again before its bytes are used.
 */
export class KnownBlobs {
  private readonly stored = new Set<string>();
  private readonly local = new Map<string, string>();

  remember(sha: string, file: string): void {
    this.stored.add(sha);
    this.local.set(sha, file);
  }

  inStore(sha: string): boolean {
    return this.stored.has(sha);
  }

  /** The blob's bytes from a local file that still hashes to it, or undefined. */
  async read(sha: string): Promise<Uint8Array | undefined> {
    const file = this.local.get(sha);
    const bytes = file && (await fs.readFile(file).catch(() => undefined));
    if (bytes && sha256(bytes) === sha) return bytes;
    this.local.delete(sha);
    return undefined;
  }
}

async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await fs.readdir(dir, { recursive: true })) {
    if (rel === MANIFEST) continue;
    if ((await fs.stat(path.join(dir, rel))).isFile()) out.push(rel.split(path.sep).join('/'));
  }
  return out.sort();
}

const localFile = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));

/** Uploads the blobs of `localDir` the store lacks (as far as `known` says), then the manifest. */
export async function publishFolder(
  store: SharedStore,
  key: string,
  localDir: string,
  known = new KnownBlobs(),
): Promise<FolderManifest> {
  const rels = await filesOf(localDir);
  const shas = await Promise.all(
    rels.map(async (rel) => {
      const file = localFile(localDir, rel);
      const bytes = await fs.readFile(file);
      const sha = sha256(bytes);
      if (!known.inStore(sha)) await store.put(blobKey(sha), bytes);
      known.remember(sha, file);
      return sha;
    }),
  );
  const manifest = { files: Object.fromEntries(rels.map((rel, i) => [rel, shas[i]!])) };
  await store.put(`${key}/${MANIFEST}`, Buffer.from(JSON.stringify(manifest)));
  return manifest;
}

/** The folder's manifest in the shared store, or undefined when it is not (completely) there. */
export async function sharedManifest(store: SharedStore, key: string): Promise<FolderManifest | undefined> {
  const raw = await store.get(`${key}/${MANIFEST}`);
  if (!raw) return undefined;
  const m = JSON.parse(Buffer.from(raw).toString('utf8')) as FolderManifest;
  if (typeof m?.files !== 'object' || m.files === null) {
    throw new ExchangeError('corrupt', `shared folder ${key}: ${MANIFEST} holds no file list`);
  }
  return m;
}

/** True when `dir` holds exactly the manifest's files with their hashes. */
export async function folderMatches(dir: string, manifest: FolderManifest): Promise<boolean> {
  const have = await filesOf(dir).catch(() => undefined);
  const want = Object.keys(manifest.files).sort();
  if (!have || have.join('\0') !== want.join('\0')) return false;
  for (const rel of want) {
    const bytes = await fs.readFile(localFile(dir, rel));
    if (sha256(bytes) !== manifest.files[rel]) return false;
  }
  return true;
}

/** A blob's bytes: from a local file that holds them, else from the store, checked either way. */
async function blobOf(store: SharedStore, key: string, rel: string, sha: string, known: KnownBlobs) {
  const mine = await known.read(sha);
  if (mine) return mine;
  const bytes = await store.get(blobKey(sha));
  if (!bytes)
    throw new ExchangeError('missing', `shared folder ${key} lists ${rel} but its blob is not stored`);
  const got = sha256(bytes);
  if (got !== sha) {
    throw new ExchangeError(
      'corrupt',
      `shared folder ${key}: ${rel} has sha256 ${got}, its manifest says ${sha}; publish it again`,
    );
  }
  return bytes;
}

/**
 * Makes `localDir` a verified copy of the shared folder `key`: kept when it matches the manifest,
 * else filled in a sibling temp folder, every file checked, and renamed into place.
 */
export async function fetchFolder(
  store: SharedStore,
  key: string,
  localDir: string,
  known = new KnownBlobs(),
): Promise<'cached' | 'fetched'> {
  const manifest = await sharedManifest(store, key);
  if (!manifest) {
    throw new ExchangeError(
      'missing',
      `shared folder ${key} is not in the shared store (no ${MANIFEST}): the host that wrote it has not published it`,
    );
  }
  const target = path.resolve(localDir);
  const rememberAll = () => {
    for (const [rel, sha] of Object.entries(manifest.files)) known.remember(sha, localFile(target, rel));
  };
  if (await folderMatches(target, manifest)) {
    rememberAll();
    return 'cached';
  }
  const tmp = `${target}.fetch-${randomBytes(4).toString('hex')}`;
  try {
    await fs.mkdir(tmp, { recursive: true });
    await Promise.all(
      Object.entries(manifest.files).map(async ([rel, sha]) => {
        const bytes = await blobOf(store, key, rel, sha, known);
        const dest = localFile(tmp, rel);
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.writeFile(dest, bytes);
      }),
    );
    await fs.writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest));
    await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  rememberAll();
  return 'fetched';
}
