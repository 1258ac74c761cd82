/** Serving models from the model store on TensorFlow: load, verify, warm up, predict. */
import { IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES } from '../data/types';
import { loadModel } from '../model/persistence';
import type { Tensor, Tf } from '../model/tf';
import type { ModelStore } from '../registry/store';
import { VersionNotFoundError, type ModelLoader, type ServedModel } from './champion';

export function storeModelLoader(tf: Tf, store: ModelStore): ModelLoader {
  return {
    async load(versionId) {
      const metadata = await store.version(versionId);
      if (!metadata) {
        throw new VersionNotFoundError(versionId, `the model store ${store.archiveDir} does not hold it.`);
      }
      // A corrupt version must not be served: its files must still hash to what was stored.
      await store.assertIntact(versionId);
      const model = await loadModel(tf, store.versionPath(versionId));
      const served: ServedModel = {
        versionId,
        metadata,
        async predict(images, count) {
          const probs = tf.tidy(
            () =>
              model.predict(tf.tensor4d(images, [count, IMAGE_SIDE, IMAGE_SIDE, 1], 'float32'), {
                batchSize: count,
              }) as Tensor,
          );
          try {
            return (await probs.data()) as Float32Array;
          } finally {
            probs.dispose();
          }
        },
        dispose: () => model.dispose(),
      };
      try {
        // The warm-up: the first predict builds TensorFlow's kernels; no request should pay for it, and a
        // model that cannot answer must fail here, before it replaces anything.
        const out = await served.predict(new Float32Array(IMAGE_BYTES), 1);
        if (out.length !== NUM_CLASSES || !out.every(Number.isFinite)) {
          throw new Error(
            `version ${versionId} answered the warm-up with ${out.length} values, not ${NUM_CLASSES} probabilities`,
          );
        }
      } catch (err) {
        model.dispose();
        throw err;
      }
      return served;
    },
  };
}
