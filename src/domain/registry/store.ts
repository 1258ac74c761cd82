import { createHash, randomBytes } from 'node:crypto';
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../model/persistence';
import type { LayersModel, Tf } from '../model/tf';
import {
  VERSION_ID,
  modelMetadataSchema,
  promotionSchema,
  storedMetadataSchema,
  type ModelMetadata,
  type Promotion,
  type StoredMetadata,
} from './metadata';

/** The file-system calls the store makes; injectable so tests can fail any step like a crash or a full disk. */
export type StoreFs = Pick<
  typeof nodeFs,
  'mkdir' | 'readdir' | 'readFile' | 'writeFile' | 'rename' | 'rm' | 'symlink' | 'readlink' | 'lstat' | 'open'
>;

/** Called between the steps of a write; a hook that throws behaves like a crash at that point. */
export interface StoreHooks {
  /** The version folder is complete in its temp place, not yet renamed into the archive. */
  afterVersionWritten?(versionId: string): Promise<void> | void;
  /** current_model points at the new champion; the history line is not yet written. */
  afterPointerSwapped?(versionId: string): Promise<void> | void;
}

/** Writes the model's files into an existing empty directory (e.g. tfjs-node's file system handler). */
export type ModelWriter = (dir: string) => Promise<void>;

export interface ChampionInfo {
  readonly versionId: string;
  readonly path: string;
  readonly metadata: StoredMetadata;
}

export class ModelStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelStoreError';
  }
}

/**
 * The store's folder cannot be written (read-only, full, immutable): an operator can fix that while the
 * activity waits, so unlike other ModelStoreErrors it is retried (its own name is not non-retryable).
 */
export class ModelStoreNotWritableError extends ModelStoreError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelStoreNotWritableError';
  }
}

export const CURRENT = 'current_model';
export const ARCHIVE = 'archive';
export const HISTORY = 'promotions.jsonl';
export const METADATA = 'metadata.json';

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);
const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
const tmpSuffix = () => randomBytes(4).toString('hex');

/**
 * Versioned, immutable model folders with one champion.
 *
 *   <modelsDir>/archive/<versionId>/{model.json, weights.bin, metadata.json}   every version, never changed
 *   <modelsDir>/current_model -> archive/<versionId>                          the champion (a symlink)
 *   <modelsDir>/promotions.jsonl                                                append-only history
 *
 * A version is written to a temp folder, flushed, and renamed into the archive; promotion replaces the
 * symlink by renaming a new one over it. Both renames are atomic, so after a crash at any point there is
 * exactly the old champion or exactly the new one, and never a half-written version in the archive.
 * One writer at a time is assumed (the io worker); readers may run concurrently.
 */
export class ModelStore {
  readonly archiveDir: string;
  readonly currentLink: string;
  readonly historyFile: string;
  private readonly fs: StoreFs;
  private readonly hooks: StoreHooks;
  private readonly now: () => Date;

  constructor(
    readonly modelsDir: string,
    deps: { fs?: StoreFs; hooks?: StoreHooks; now?: () => Date } = {},
  ) {
    this.modelsDir = path.resolve(modelsDir);
    this.archiveDir = path.join(this.modelsDir, ARCHIVE);
    this.currentLink = path.join(this.modelsDir, CURRENT);
    this.historyFile = path.join(this.modelsDir, HISTORY);
    this.fs = deps.fs ?? nodeFs;
    this.hooks = deps.hooks ?? {};
    this.now = deps.now ?? (() => new Date());
  }

  versionPath(versionId: string): string {
    assertVersionId(versionId);
    return path.join(this.archiveDir, versionId);
  }

  /**
   * Adds an immutable version. Storing an id again with the same model files and metadata (creation time
   * aside) is a no-op, so a retried activity is harmless; with different content it is an error.
   */
  async storeVersion(
    write: ModelWriter,
    metadata: ModelMetadata,
  ): Promise<{ path: string; created: boolean }> {
    const parsed = modelMetadataSchema.safeParse(metadata);
    if (!parsed.success) {
      throw new ModelStoreError(
        `Invalid model metadata: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
      );
    }
    const { versionId } = parsed.data;
    const target = this.versionPath(versionId);
    await this.guard('create', this.archiveDir, () => this.fs.mkdir(this.archiveDir, { recursive: true }));
    await this.removeStale(this.archiveDir, `.tmp-${versionId}-`);

    const tmp = path.join(this.archiveDir, `.tmp-${versionId}-${tmpSuffix()}`);
    await this.guard('create', tmp, () => this.fs.mkdir(tmp));
    let stored: StoredMetadata | undefined;
    try {
      await write(tmp);
      stored = { ...parsed.data, contentSha256: await this.contentHash(tmp) };
      await this.guard('write', path.join(tmp, METADATA), () =>
        this.fs.writeFile(path.join(tmp, METADATA), JSON.stringify(stored, null, 2) + '\n'),
      );
      await this.syncDir(tmp, true);
      const existing = await this.readMetadata(versionId);
      if (existing) {
        await this.fs.rm(tmp, { recursive: true, force: true });
        return this.sameVersion(existing, stored, target);
      }
      await this.hooks.afterVersionWritten?.(versionId);
      await this.guard('rename into', target, () => this.fs.rename(tmp, target));
    } catch (err) {
      await this.fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      // Another writer may have won the rename with the same version: compare instead of failing.
      const existing = ['ENOTEMPTY', 'EEXIST'].includes(code(err) ?? '')
        ? await this.readMetadata(versionId)
        : null;
      if (existing && stored) return this.sameVersion(existing, stored, target);
      throw err;
    }
    await this.syncDir(this.archiveDir);
    return { path: target, created: true };
  }

  /** Makes a stored version the champion. Promoting the current champion again changes nothing. */
  async promote(versionId: string): Promise<{ changed: boolean; previousVersionId: string | null }> {
    if (!(await this.readMetadata(versionId))) {
      throw new ModelStoreError(
        `Cannot promote ${versionId}: no such version in ${this.archiveDir}. Store it with storeVersion first.`,
      );
    }
    const previous = await this.currentVersionId();
    if (previous === versionId) {
      await this.completeHistory(versionId);
      return { changed: false, previousVersionId: previous };
    }
    await this.clearLegacyCurrentDir();
    await this.removeStale(this.modelsDir, `.${CURRENT}.tmp-`);
    const tmpLink = path.join(this.modelsDir, `.${CURRENT}.tmp-${tmpSuffix()}`);
    await this.guard('create', tmpLink, () => this.fs.symlink(path.join(ARCHIVE, versionId), tmpLink));
    try {
      await this.guard('replace', this.currentLink, () => this.fs.rename(tmpLink, this.currentLink));
    } catch (err) {
      await this.fs.rm(tmpLink, { force: true }).catch(() => undefined);
      throw err;
    }
    await this.syncDir(this.modelsDir);
    await this.hooks.afterPointerSwapped?.(versionId);
    await this.appendHistory({
      versionId,
      previousVersionId: previous,
      promotedAt: this.now().toISOString(),
    });
    return { changed: true, previousVersionId: previous };
  }

  /** The champion's id, path and metadata, or null before the first promotion. */
  async champion(): Promise<ChampionInfo | null> {
    const versionId = await this.currentVersionId();
    if (!versionId) return null;
    const metadata = await this.readMetadata(versionId);
    if (!metadata) {
      throw new ModelStoreError(
        `${this.currentLink} points at version ${versionId}, which is missing from ${this.archiveDir}. ` +
          'Restore that folder or promote another version.',
      );
    }
    return { versionId, path: this.versionPath(versionId), metadata };
  }

  /**
   * Throws ModelStoreError when a version's files no longer hash to what was stored: a corrupt champion
   * must fail with a clear message before anything trains on it or is compared against it.
   */
  async assertIntact(versionId: string): Promise<void> {
    const dir = this.versionPath(versionId);
    const metadata = await this.readMetadata(versionId);
    if (!metadata) {
      throw new ModelStoreError(
        `${dir} has no ${METADATA}: restore the version folder or promote another version.`,
      );
    }
    const actual = await this.contentHash(dir);
    if (actual !== metadata.contentSha256) {
      throw new ModelStoreError(
        `Model files in ${dir} are corrupt: they hash to ${actual.slice(0, 12)}…, ${METADATA} says ` +
          `${metadata.contentSha256.slice(0, 12)}…. Restore the folder from a backup or promote another version.`,
      );
    }
  }

  /** The champion model, loaded; null before the first promotion. */
  async loadChampion(tf: Tf): Promise<{ model: LayersModel; champion: ChampionInfo } | null> {
    const champion = await this.champion();
    return champion ? { model: await loadModel(tf, champion.path), champion } : null;
  }

  /** One stored version's metadata, or null when the archive does not hold it (or the id is malformed). */
  async version(versionId: string): Promise<StoredMetadata | null> {
    if (!VERSION_ID.test(versionId)) return null;
    return this.readMetadata(versionId);
  }

  /** Every stored version, oldest first. */
  async listVersions(): Promise<StoredMetadata[]> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.archiveDir);
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw err;
    }
    const out: StoredMetadata[] = [];
    for (const name of names) {
      if (name.startsWith('.') || !VERSION_ID.test(name)) continue;
      const m = await this.readMetadata(name);
      if (m) out.push(m);
    }
    return out.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.versionId.localeCompare(b.versionId),
    );
  }

  /** Promotions, oldest first. A torn last line (crash mid-append) is ignored. */
  async history(): Promise<Promotion[]> {
    let text: string;
    try {
      text = await this.fs.readFile(this.historyFile, 'utf8');
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw err;
    }
    const lines = text.split('\n');
    lines.pop(); // complete lines end with "\n"; what follows the last one is empty or torn
    return lines.filter((l) => l.trim()).map((l) => promotionSchema.parse(JSON.parse(l)));
  }

  private async currentVersionId(): Promise<string | null> {
    let target: string;
    try {
      target = await this.fs.readlink(this.currentLink);
    } catch (err) {
      if (code(err) === 'ENOENT') return null;
      if (code(err) === 'EINVAL') {
        if (await this.isLegacyCurrentDir()) return null;
        throw new ModelStoreError(
          `${this.currentLink} is a regular file or folder, not the champion pointer (a symlink). ` +
            'Move it out of the models folder; promote a version to recreate the pointer.',
        );
      }
      throw err;
    }
    const versionId = path.basename(target);
    if (path.normalize(target) !== path.join(ARCHIVE, versionId) || !VERSION_ID.test(versionId)) {
      throw new ModelStoreError(
        `${this.currentLink} points at ${target}, outside ${ARCHIVE}/. Remove the link and promote a version.`,
      );
    }
    return versionId;
  }

  /** An empty current_model folder (or one holding only .gitkeep) from before the pointer existed. */
  private async isLegacyCurrentDir(): Promise<boolean> {
    const stat = await this.fs.lstat(this.currentLink);
    if (!stat.isDirectory()) return false;
    return (await this.fs.readdir(this.currentLink)).every((n) => n === '.gitkeep');
  }

  private async clearLegacyCurrentDir(): Promise<void> {
    const exists = await this.fs.lstat(this.currentLink).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (exists && (await this.isLegacyCurrentDir())) {
      await this.guard('remove', this.currentLink, () => this.fs.rm(this.currentLink, { recursive: true }));
    }
  }

  /** After a crash between pointer swap and history append, a repeated promote records the promotion. */
  private async completeHistory(versionId: string): Promise<void> {
    const history = await this.history();
    const last = history.at(-1);
    if (last?.versionId === versionId) return;
    await this.appendHistory({
      versionId,
      previousVersionId: last?.versionId ?? null,
      promotedAt: this.now().toISOString(),
    });
  }

  private async appendHistory(entry: Promotion): Promise<void> {
    const text = await this.fs.readFile(this.historyFile, 'utf8').catch(() => '');
    await this.guard(
      'append to',
      this.historyFile,
      async () => {
        const handle = await this.fs.open(this.historyFile, 'a');
        try {
          // A torn line from a crash mid-append is cut off, so that the file stays valid JSON lines.
          if (!text.endsWith('\n'))
            await handle.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
          await handle.write(JSON.stringify(entry) + '\n');
          await handle.sync();
        } finally {
          await handle.close();
        }
      },
      'the champion pointer was already replaced; promote the same version again to record it',
    );
  }

  private async readMetadata(versionId: string): Promise<StoredMetadata | null> {
    const file = path.join(this.versionPath(versionId), METADATA);
    let text: string;
    try {
      text = await this.fs.readFile(file, 'utf8');
    } catch (err) {
      if (code(err) === 'ENOENT') return null;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ModelStoreError(
        `${file} is not valid JSON (${(err as Error).message}). Restore the version folder or promote another version.`,
      );
    }
    const parsed = storedMetadataSchema.safeParse(json);
    if (!parsed.success) {
      throw new ModelStoreError(`${file} is not valid model metadata: ${parsed.error.issues[0]?.message}.`);
    }
    return parsed.data;
  }

  private sameVersion(existing: StoredMetadata, stored: StoredMetadata, target: string) {
    const strip = ({ createdAt: _c, ...rest }: StoredMetadata) => JSON.stringify(rest);
    if (strip(existing) !== strip(stored)) {
      throw new ModelStoreError(
        `Version ${stored.versionId} already exists in ${target} with different content ` +
          `(model sha256 ${existing.contentSha256.slice(0, 12)} vs ${stored.contentSha256.slice(0, 12)}, or other ` +
          'metadata). Versions are immutable: store the new model under a new version id.',
      );
    }
    return { path: target, created: false };
  }

  private async contentHash(dir: string): Promise<string> {
    const files = [];
    for (const name of (await this.fs.readdir(dir)).filter((n) => n !== METADATA)) {
      files.push({ name, bytes: await this.fs.readFile(path.join(dir, name)) });
    }
    return modelContentHash(files);
  }

  private async syncDir(dir: string, withFiles = false): Promise<void> {
    const names = withFiles ? await this.fs.readdir(dir) : [];
    for (const p of [...names.map((n) => path.join(dir, n)), dir]) {
      const handle = await this.fs.open(p, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  private async removeStale(dir: string, prefix: string): Promise<void> {
    const names = await this.fs.readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((n) => n.startsWith(prefix))) {
      await this.fs.rm(path.join(dir, n), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Turns "not writable" failures into one clear message; the champion is untouched when it is thrown. */
  private async guard<T>(
    what: string,
    target: string,
    op: () => Promise<T>,
    outcome = 'the champion was not changed',
  ): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (NOT_WRITABLE.has(code(err) ?? '')) {
        throw new ModelStoreNotWritableError(
          `Model store ${this.modelsDir} is not writable: cannot ${what} ${target} (${code(err)}). ` +
            `Make the folder writable (and check free space) or set MODELS_DIR to another folder; ${outcome}.`,
        );
      }
      throw err;
    }
  }
}

/**
 * sha256 over a version's model files (metadata.json excluded), names and bytes in name order: what
 * metadata.json records as contentSha256. Exported for readers that load the files themselves.
 */
export function modelContentHash(files: readonly { name: string; bytes: Uint8Array }[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].filter((f) => f.name !== METADATA).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`${f.name}\0`);
    hash.update(f.bytes);
  }
  return hash.digest('hex');
}

function assertVersionId(versionId: string): void {
  if (!VERSION_ID.test(versionId)) {
    throw new ModelStoreError(
      `Invalid version id ${JSON.stringify(versionId)}: use 1–128 letters, digits, ".", "_" or "-", ` +
        'starting with a letter or digit.',
    );
  }
}
