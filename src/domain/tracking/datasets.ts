/**
 * MLflow dataset inputs ("Datasets used" in the UI) for the splits a model was trained and judged on, and
 * for a stream batch. The digest is our own content hash, so MLflow shows two runs on the same data as
 * the same dataset, and a changed split as a new one.
 */
import path from 'node:path';
import { DATASET_LIMITS, type DatasetInput } from './tracker';
import { MNIST_FILES } from '../data/files';
import type { SplitManifest } from '../data/manifest';

/** What a split's dataset input needs from the manifest (the index lists are not sent). */
export type ManifestSummary = Pick<SplitManifest, 'id' | 'seed' | 'sources'> & {
  readonly splits: Record<
    'train' | 'validation' | 'test',
    Pick<SplitManifest['splits']['train'], 'source' | 'count' | 'sha256'>
  >;
};

/** MLflow's `mlflow.data.context` tag: what the run used the data for. */
const CONTEXT = { train: 'training', validation: 'validation', test: 'test' } as const;

/** A sha256 hex digest cut to MLflow's digest column; the full value goes into the profile. */
export function datasetDigest(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new Error(
      `dataset digest needs a sha256 hex digest (64 characters 0-9a-f), got ${JSON.stringify(sha256)}`,
    );
  }
  return sha256.slice(0, DATASET_LIMITS.maxDigest);
}

/**
 * Train, validation and test splits of the manifest. The source names the IDX files the split's indices
 * point into (with their sha256), under `idxDir` when the caller knows where they were read from.
 */
export function splitDatasetInputs(manifest: ManifestSummary, idxDir?: string): DatasetInput[] {
  return (['train', 'validation', 'test'] as const).map((split) => {
    const s = manifest.splits[split];
    const [images, labels] =
      s.source === 'train'
        ? [MNIST_FILES.trainImages, MNIST_FILES.trainLabels]
        : [MNIST_FILES.testImages, MNIST_FILES.testLabels];
    const files = [images, labels];
    const source = {
      uri: idxDir ? path.resolve(idxDir, images.name) : images.name,
      files: Object.fromEntries(files.map((f) => [f.name, manifest.sources[f.name] ?? f.sha256])),
    };
    return {
      tags: [{ key: 'mlflow.data.context', value: CONTEXT[split] }],
      dataset: {
        name: `mnist-${split}`,
        digest: datasetDigest(s.sha256),
        source_type: 'local',
        source: JSON.stringify(source),
        profile: JSON.stringify({
          num_rows: s.count,
          split_sha256: s.sha256,
          split_manifest_id: manifest.id,
          seed: manifest.seed,
          canonical_set: s.source,
        }),
      },
    };
  });
}

export interface BatchDatasetSource {
  readonly batchId: string;
  /** sha256 of the batch snapshot file (its content hash). */
  readonly sha256: string;
  /** Valid samples in the batch. */
  readonly records: number;
  readonly topic: string;
  /** Offsets the batch spans, e.g. {"0": "120..359"} per partition. */
  readonly offsets: Readonly<Record<string, string>>;
}

export function batchDatasetInput(batch: BatchDatasetSource): DatasetInput {
  return {
    tags: [{ key: 'mlflow.data.context', value: 'training' }],
    dataset: {
      name: batch.batchId,
      digest: datasetDigest(batch.sha256),
      source_type: 'kafka',
      source: JSON.stringify({ topic: batch.topic, offsets: batch.offsets }),
      profile: JSON.stringify({ num_rows: batch.records, snapshot_sha256: batch.sha256 }),
    },
  };
}
