/** Inputs of bootstrap and retrain runs built by hand: a tiny fake model folder, scores and a manifest summary. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IMAGE_BYTES } from '../../../src/domain/data/types';
import type { BootstrapRunInput, ManifestSummary, RetrainRunInput } from '../../../src/domain/tracking';

const sha = (c: string) => c.repeat(64);

export const MANIFEST: ManifestSummary = {
  id: sha('a'),
  seed: 42,
  sources: { 'train-images-idx3-ubyte': sha('1'), 't10k-images-idx3-ubyte': sha('2') },
  splits: {
    train: { source: 'train', count: 500, sha256: sha('b') },
    validation: { source: 'train', count: 100, sha256: sha('c') },
    test: { source: 'test', count: 200, sha256: sha('d') },
  },
};

/** confusion with `wrong` samples of digit 3 predicted as 8, 20 samples a digit otherwise right. */
export function confusion(wrong = 2): number[][] {
  const m: number[][] = Array.from({ length: 10 }, (_, a) =>
    Array.from({ length: 10 }, (_, p) => (a === p ? 20 : 0)),
  );
  m[3]![3] = 20 - wrong;
  m[3]![8] = wrong;
  return m;
}

/** A model version folder as the model store writes it (contents are placeholders). */
export async function versionFolder(id: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `tracking-${id}-`));
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', id }));
  await fs.writeFile(path.join(dir, 'weights.bin'), Buffer.alloc(64, 7));
  await fs.writeFile(path.join(dir, 'metadata.json'), JSON.stringify({ versionId: id }));
  return dir;
}

export function bootstrapInput(dir: string, overrides: Partial<BootstrapRunInput> = {}): BootstrapRunInput {
  return {
    key: 'mlops-bootstrap-run-1',
    workflowId: 'mlops-bootstrap',
    gitCommit: 'f'.repeat(40),
    version: { id: 'm20250101T000000Z-aaaa', dir },
    hyperparameters: { optimizer: 'adam', learningRate: 0.001, batchSize: 64, epochs: 2, seed: 42 },
    params: { train_samples: 500 },
    epochs: [
      {
        epoch: 0,
        loss: 1.2,
        accuracy: 0.6,
        valLoss: 0.9,
        valAccuracy: 0.7,
        imagesPerSecond: 800,
        seconds: 0.6,
      },
      {
        epoch: 1,
        loss: 0.7,
        accuracy: 0.8,
        valLoss: 0.6,
        valAccuracy: 0.82,
        imagesPerSecond: 850,
        seconds: 0.59,
      },
    ],
    evaluation: {
      validation: { accuracy: 0.82, loss: 0.6 },
      test: {
        accuracy: 0.99,
        loss: 0.1,
        perClassAccuracy: [1, 1, 1, 0.9, 1, 1, 1, 1, 1, 1],
        confusion: confusion(),
      },
    },
    misclassified: [
      { index: 7, image: new Uint8Array(IMAGE_BYTES).fill(128), actual: 3, predicted: 8 },
      { index: 9, image: new Uint8Array(IMAGE_BYTES).fill(64), actual: 3, predicted: 8 },
    ],
    manifest: MANIFEST,
    ...overrides,
  };
}

export function retrainInput(decision: RetrainRunInput['decision'], dir?: string): RetrainRunInput {
  const base = {
    key: `mlops-retrain-${decision}`,
    workflowId: 'mlops-retrain',
    cycleId: `cycle-${decision}`,
    gitCommit: 'f'.repeat(40),
    decision,
    settings: { fineTuneEpochs: 1, replayShare: 0.5, promotionMinGain: 0.002, promotionTestTolerance: 0.005 },
  };
  if (decision === 'skipped') {
    return {
      ...base,
      reason: 'skipped: not enough new data (3 records, need 100)',
      championBefore: 'v1',
      championAfter: 'v1',
      counts: { consumed: 3, valid: 3, deadLettered: 0 },
    };
  }
  const scores = {
    prequential: { accuracy: 0.91, loss: 0.3 },
    champion: { validation: { accuracy: 0.9, loss: 0.35 }, test: { accuracy: 0.9, loss: 0.34 } },
    challenger: {
      validation: { accuracy: 0.93, loss: 0.25 },
      test: {
        accuracy: 0.92,
        loss: 0.27,
        perClassAccuracy: new Array<number>(10).fill(0.92),
        confusion: confusion(1),
      },
    },
    epochs: [{ epoch: 0, loss: 0.4, accuracy: 0.88, valLoss: 0.3, valAccuracy: 0.93, imagesPerSecond: 900 }],
    batch: {
      batchId: 'mnist-stream-0-0-199',
      sha256: 'e'.repeat(64),
      records: 195,
      topic: 'mnist-stream',
      offsets: { '0': '0..199' },
    },
    counts: {
      consumed: 200,
      valid: 195,
      deadLettered: 5,
      deadLettersByReason: { garbage: 3, 'label-out-of-range': 2 },
    },
    hyperparameters: { optimizer: 'adam', learningRate: 0.0005, batchSize: 64, epochs: 1, seed: 42 },
    mix: { newCount: 195, replayCount: 195 },
  };
  return decision === 'promoted'
    ? {
        ...base,
        ...scores,
        reason: 'validation accuracy +3.00 pt',
        championBefore: 'v1',
        championAfter: 'v2',
        promotedVersion: { id: 'v2', dir: dir! },
      }
    : {
        ...base,
        ...scores,
        reason: 'validation accuracy gain 0.10 pt is below the required 0.20 pt',
        championBefore: 'v1',
        championAfter: 'v1',
      };
}

/** Where the tracking unit tests log to. */
export const target = { experiment: 'exp', registeredModel: 'mnist-cnn' };
