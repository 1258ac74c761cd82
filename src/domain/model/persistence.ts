import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath, fsyncTree } from '../../durable-file';
import type { LayersModel, Tf } from './tf';

/** The files tfjs-node's file:// handler writes: topology + weights manifest, and the weights. */
export const MODEL_FILES = ['model.json', 'weights.bin'] as const;

export interface SaveOptions {
  /** Also save the optimizer state (Adam moments): for checkpoints that training resumes from. */
  readonly includeOptimizer?: boolean;
  /** Replace an existing directory; otherwise an existing directory is an error. */
  readonly overwrite?: boolean;
}

/** Writes into `<dir>.tmp-*` beside the target, then renames: readers see a whole model or none. */
export async function saveModel(
  tf: Tf,
  model: LayersModel,
  dir: string,
  options: SaveOptions = {},
): Promise<void> {
  const target = path.resolve(dir);
  const exists = await fs.stat(target).then(
    () => true,
    () => false,
  );
  if (exists && !options.overwrite) {
    throw new Error(
      `Cannot save the model to ${target}: it already exists. Choose a new directory or remove it.`,
    );
  }
  const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(path.dirname(target), { recursive: true });
  try {
    await model.save(tf.io.fileSystem(tmp), { includeOptimizer: options.includeOptimizer ?? false });
    await fsyncTree(tmp);
    if (exists) {
      // rename() cannot replace a non-empty directory: move the old one aside first, drop it after.
      const old = `${target}.old-${randomBytes(4).toString('hex')}`;
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
    await fsyncPath(path.dirname(target));
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Writes the model's files into an existing directory: what the model store's storeVersion expects. */
export function modelWriter(tf: Tf, model: LayersModel): (dir: string) => Promise<void> {
  return async (dir) => {
    await model.save(tf.io.fileSystem(dir));
  };
}

export async function loadModel(tf: Tf, dir: string): Promise<LayersModel> {
  const json = path.join(path.resolve(dir), 'model.json');
  try {
    await fs.access(json);
  } catch {
    throw new Error(`No model at ${dir}: ${json} is missing. Save a model there first (tfjs format).`);
  }
  return tf.loadLayersModel(`file://${json}`);
}
