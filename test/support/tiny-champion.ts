/**
 * Real model versions for serving tests, made quickly: the project's CNN trained briefly on a slice of
 * the MNIST training images, stored and (optionally) promoted in a model store of the test's own.
 */
import { createCnn } from '../../src/domain/model/architecture';
import type { Hyperparameters } from '../../src/domain/model/hyperparameters';
import { modelWriter } from '../../src/domain/model/persistence';
import { train } from '../../src/domain/model/train';
import type { Tf } from '../../src/domain/model/tf';
import type { ModelStore } from '../../src/domain/registry/store';
import { readMnist } from './mnist-fixture';

/** Trains on `samples` images for one epoch (seeded), stores the version as `versionId`. */
export async function storeTinyVersion(
  tf: Tf,
  store: ModelStore,
  versionId: string,
  opts: { seed: number; samples?: number; epochs?: number },
): Promise<void> {
  const hyper: Hyperparameters = {
    optimizer: 'adam',
    learningRate: 0.002,
    batchSize: 64,
    epochs: opts.epochs ?? 1,
    seed: opts.seed,
  };
  const model = createCnn(tf, hyper);
  try {
    await train(tf, model, readMnist('train', opts.samples ?? 2000), { hyper });
    await store.storeVersion(modelWriter(tf, model), {
      versionId,
      createdAt: new Date().toISOString(),
      metrics: {},
      hyperparameters: { ...hyper },
      seed: hyper.seed,
      lineage: { splitManifestHash: null, batchIds: [], parentVersionId: null },
      gitCommit: 'serving-test',
    });
  } finally {
    model.dispose();
  }
}
