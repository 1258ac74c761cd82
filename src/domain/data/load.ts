/** Loads the canonical MNIST train (60 000) and test (10 000) sets, checksum-verified. */
import { MNIST_FILES, type MnistFileId } from './files';
import { readMnistSet } from './idx';
import {
  locateMnistFile,
  type Download,
  type MnistSourceKind,
  type MnistSourceOptions,
} from './sources';
import type { MnistSet } from './types';

/** The slice of the app config the data layer reads; the full `Config` fits it. */
export interface MnistDataConfig {
  readonly paths: { readonly dataDir: string; readonly mnistDir?: string | undefined };
  readonly data: {
    readonly mnistMirrors: readonly string[];
    readonly validationSize: number;
    readonly streamSize: number;
  };
  readonly training: { readonly seed: number };
}

/** Knobs for callers and tests that the config does not carry. */
export interface MnistLoadOptions {
  readonly log?: (line: string) => void;
  /** See MnistSourceOptions.packageDir. */
  readonly packageDir?: string | null;
  /** See MnistSourceOptions.download. */
  readonly download?: Download;
}

export interface LoadedMnist {
  readonly train: MnistSet;
  readonly test: MnistSet;
  /** sha256 of each file's raw bytes, by canonical file name (verified equal to MNIST_FILES). */
  readonly checksums: Readonly<Record<string, string>>;
  /** Where each file was found, by canonical file name. */
  readonly sources: Readonly<Record<string, { path: string; source: MnistSourceKind }>>;
}

export function sourceOptions(cfg: MnistDataConfig, opts: MnistLoadOptions = {}): MnistSourceOptions {
  return {
    mnistDir: cfg.paths.mnistDir,
    dataDir: cfg.paths.dataDir,
    mirrors: cfg.data.mnistMirrors,
    ...opts,
  };
}

/** Canonical file name → sha256 of its raw bytes. */
export function canonicalChecksums(): Record<string, string> {
  return Object.fromEntries(Object.values(MNIST_FILES).map((f) => [f.name, f.sha256]));
}

export async function loadMnist(cfg: MnistDataConfig, opts: MnistLoadOptions = {}): Promise<LoadedMnist> {
  const src = sourceOptions(cfg, opts);
  const ids = Object.keys(MNIST_FILES) as MnistFileId[];
  // One at a time: downloads (rare) then show one progress bar each rather than four interleaved.
  const located = {} as Record<MnistFileId, { path: string; source: MnistSourceKind }>;
  for (const id of ids) located[id] = await locateMnistFile(MNIST_FILES[id], src);

  const [train, test] = await Promise.all([
    readMnistSet({
      images: located.trainImages.path,
      labels: located.trainLabels.path,
      imagesSha256: MNIST_FILES.trainImages.sha256,
      labelsSha256: MNIST_FILES.trainLabels.sha256,
    }),
    readMnistSet({
      images: located.testImages.path,
      labels: located.testLabels.path,
      imagesSha256: MNIST_FILES.testImages.sha256,
      labelsSha256: MNIST_FILES.testLabels.sha256,
    }),
  ]);
  return {
    train,
    test,
    checksums: canonicalChecksums(),
    sources: Object.fromEntries(ids.map((id) => [MNIST_FILES[id].name, located[id]])),
  };
}
