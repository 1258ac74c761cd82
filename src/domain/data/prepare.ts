/**
 * The four splits, from a manifest that is made once and then reused.
 *
 * Policy for an existing manifest made for another seed, sizes or source files: a clear error, not a silent
 * re-split. Champion, challengers and the ledger refer to these splits; re-splitting would move validation
 * images into train and make every earlier score incomparable. Pass `regenerate: true` (e.g. from a CLI
 * flag) to replace it knowingly.
 */
import { MnistDataError } from './errors';
import { canonicalChecksums, loadMnist, type MnistDataConfig, type MnistLoadOptions } from './load';
import {
  buildManifest,
  manifestDifferences,
  readManifest,
  splitManifestPath,
  writeManifest,
  type SplitManifest,
} from './manifest';
import { computeSplits } from './split';
import { subset } from './subset';
import type { MnistSet } from './types';

export interface PreparedData {
  readonly train: MnistSet;
  readonly validation: MnistSet;
  readonly test: MnistSet;
  /** In publishing order; see streamSamples. */
  readonly stream: MnistSet;
  readonly manifest: SplitManifest;
  readonly manifestPath: string;
  /** False when an existing manifest was reused. */
  readonly manifestWritten: boolean;
}

export interface PrepareOptions extends MnistLoadOptions {
  /** Replace an existing manifest, whatever it holds. */
  readonly regenerate?: boolean;
}

export async function prepareSplits(cfg: MnistDataConfig, opts: PrepareOptions = {}): Promise<PreparedData> {
  const { regenerate, ...loadOpts } = opts;
  const manifestPath = splitManifestPath(cfg.paths.dataDir);
  // The canonical checksums are what loadMnist verifies, so the manifest can be judged before the 55 MB load.
  const key = {
    seed: cfg.training.seed,
    sizes: { stream: cfg.data.streamSize, validation: cfg.data.validationSize },
    sources: canonicalChecksums(),
  };

  let manifest = regenerate ? null : await readManifest(manifestPath);
  const manifestWritten = manifest === null;
  if (manifest) {
    const diffs = manifestDifferences(manifest, key);
    if (diffs.length) {
      throw new MnistDataError(
        'manifest-mismatch',
        manifestPath,
        `split manifest was made for ${diffs.join(', ')}`,
        'Set the old values back, or move the manifest away (or regenerate it) to split anew — models ' +
          'trained on the old split are then no longer comparable.',
      );
    }
  }
  const mnist = await loadMnist(cfg, loadOpts);
  if (!manifest) {
    manifest = buildManifest(key, computeSplits(key.seed, mnist.train.count, mnist.test.count, key.sizes));
    await writeManifest(manifestPath, manifest);
  }

  const { splits } = manifest;
  return {
    train: subset(mnist.train, splits.train.indices),
    validation: subset(mnist.train, splits.validation.indices),
    test: subset(mnist.test, splits.test.indices),
    stream: subset(mnist.train, splits.stream.indices),
    manifest,
    manifestPath,
    manifestWritten,
  };
}
