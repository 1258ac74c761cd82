/** Serving models from the model store on TensorFlow: read, verify, load, warm up, predict. */
import fs from 'node:fs';
import path from 'node:path';
import { IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES } from '../data/types';
import type { Tensor, Tf } from '../model/tf';
import { METADATA, ModelStoreError, modelContentHash, type ModelStore } from '../registry/store';
import { VersionNotFoundError, type ModelLoader, type ServedModel } from './champion';

interface WeightsManifest {
  paths: string[];
  weights: unknown[];
}

/**
 * A version's files, read synchronously (about 5 MB, a few milliseconds). Deliberate: read with
 * fs.promises under load, each 512 KiB chunk waited behind a predict batch, and a swap took seconds.
 */
function readVersion(dir: string): { name: string; bytes: Buffer }[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n !== METADATA)
    .map((name) => ({ name, bytes: fs.readFileSync(path.join(dir, name)) }));
}

export function storeModelLoader(tf: Tf, store: ModelStore): ModelLoader {
  return {
    async load(versionId) {
      const metadata = await store.version(versionId);
      if (!metadata) {
        throw new VersionNotFoundError(versionId, `the model store ${store.archiveDir} does not hold it.`);
      }
      const dir = store.versionPath(versionId);
      const files = readVersion(dir);
      // A corrupt version must not be served: its files must still hash to what was stored.
      const actual = modelContentHash(files);
      if (actual !== metadata.contentSha256) {
        throw new ModelStoreError(
          `Model files in ${dir} are corrupt: they hash to ${actual.slice(0, 12)}…, ${METADATA} says ` +
            `${metadata.contentSha256.slice(0, 12)}…. Restore the folder or promote another version.`,
        );
      }
      const byName = new Map(files.map((f) => [f.name, f.bytes]));
      const json = JSON.parse(byName.get('model.json')?.toString('utf8') ?? 'null') as {
        modelTopology: object;
        weightsManifest: WeightsManifest[];
      } | null;
      if (!json?.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new ModelStoreError(
          `${dir}/model.json is not a tfjs layers model (no topology or weights manifest).`,
        );
      }
      const weightData = Buffer.concat(
        json.weightsManifest.flatMap((g) =>
          g.paths.map((p) => {
            const bytes = byName.get(path.basename(p));
            if (!bytes) throw new ModelStoreError(`${dir} lacks ${p}, named by model.json.`);
            return bytes;
          }),
        ),
      );
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
          weightData: weightData.buffer.slice(
            weightData.byteOffset,
            weightData.byteOffset + weightData.length,
          ),
        }),
      );
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
