/**
 * The one way this project replaces a file: write a temp file beside it, fsync it, rename it over the
 * target, fsync the folder. A reader sees the old file or the new one, never half of one, and after a
 * crash (or power loss) the rename is not undone. Every writer of state uses this module.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface DurableWriteOptions {
  /** File mode of the new file (default 0o644). */
  readonly mode?: number;
  /** Owner given to the temp file before the rename, so a reader never sees a file it cannot open. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** Fail with EEXIST instead of replacing an existing temp name (a name clash means another writer). */
  readonly exclusive?: boolean;
}

/** A temp name beside `file`, hidden, unique to this process and call. */
export function tempNameBeside(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** fsyncs a file or folder by path. */
export async function fsyncPath(p: string): Promise<void> {
  const handle = await fsp.open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs every file directly in `dir`, then `dir` itself: before a folder is renamed into place. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const name of await fsp.readdir(dir)) await fsyncPath(path.join(dir, name));
  await fsyncPath(dir);
}

/** Replaces `file` durably with `data` (temp file, fsync, rename, fsync of the folder). */
export async function writeFileDurable(
  file: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = tempNameBeside(file);
  try {
    const handle = await fsp.open(tmp, options.exclusive ? 'wx' : 'w', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.owner) await fsp.chown(tmp, options.owner.uid, options.owner.gid);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncPath(dir);
}

/** The synchronous twin of writeFileDurable, for the stack's start-up code. */
export function writeFileDurableSync(
  file: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempNameBeside(file);
  try {
    const fd = fs.openSync(tmp, options.exclusive ? 'wx' : 'w', options.mode ?? 0o644);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (options.owner) fs.chownSync(tmp, options.owner.uid, options.owner.gid);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

/** Content of a file, or undefined when it does not exist. */
export function readFileIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
