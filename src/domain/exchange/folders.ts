/**
 * Folders (a model, a checkpoint) through the shared store. A folder is its files plus MANIFEST.json
 * (each file's sha256), written last: a folder without a manifest is incomplete and is never read.
 * A host's local copy is a cache, checked against the manifest every time it is used; a copy that
 * does not match is fetched again, and a fetched file that does not match is refused.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256Hex as sha256 } from '../data/idx';
import { ExchangeError, type SharedStore } from './port';

export const MANIFEST = 'MANIFEST.json';

export interface FolderManifest {
  /** Relative file name (`/`-separated) → sha256 hex. */
  readonly files: Readonly<Record<string, string>>;
}

async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await fs.readdir(dir, { recursive: true })) {
    if (rel === MANIFEST) continue;
    if ((await fs.stat(path.join(dir, rel))).isFile()) out.push(rel.split(path.sep).join('/'));
  }
  return out.sort();
}

/** Uploads every file of `localDir` under `key`, then the manifest. Returns the manifest. */
export async function publishFolder(
  store: SharedStore,
  key: string,
  localDir: string,
): Promise<FolderManifest> {
  const files: Record<string, string> = {};
  for (const rel of await filesOf(localDir)) {
    const bytes = await fs.readFile(path.join(localDir, ...rel.split('/')));
    await store.put(`${key}/${rel}`, bytes);
    files[rel] = sha256(bytes);
  }
  const manifest = { files };
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
    const bytes = await fs.readFile(path.join(dir, ...rel.split('/')));
    if (sha256(bytes) !== manifest.files[rel]) return false;
  }
  return true;
}

/**
 * Makes `localDir` a verified copy of the shared folder `key`: kept when it matches the manifest,
 * else fetched into a sibling temp folder, every file checked, and renamed into place.
 */
export async function fetchFolder(
  store: SharedStore,
  key: string,
  localDir: string,
): Promise<'cached' | 'fetched'> {
  const manifest = await sharedManifest(store, key);
  if (!manifest) {
    throw new ExchangeError(
      'missing',
      `shared folder ${key} is not in the shared store (no ${MANIFEST}): the host that wrote it has not published it`,
    );
  }
  if (await folderMatches(localDir, manifest)) return 'cached';
  const target = path.resolve(localDir);
  const tmp = `${target}.fetch-${randomBytes(4).toString('hex')}`;
  try {
    for (const [rel, want] of Object.entries(manifest.files)) {
      const bytes = await store.get(`${key}/${rel}`);
      if (!bytes)
        throw new ExchangeError('missing', `shared folder ${key} lists ${rel} but has no such file`);
      const got = sha256(bytes);
      if (got !== want) {
        throw new ExchangeError(
          'corrupt',
          `shared folder ${key}: ${rel} has sha256 ${got}, its manifest says ${want}; publish it again`,
        );
      }
      const dest = path.join(tmp, ...rel.split('/'));
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.writeFile(dest, bytes);
    }
    await fs.mkdir(tmp, { recursive: true });
    await fs.writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest));
    await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return 'fetched';
}
