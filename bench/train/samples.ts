import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IMAGE_BYTES, type MnistSet } from '../../src/domain/data';

/** The sets every run trains and evaluates on; written once, read by each tfjs and Keras process. */
export const SAMPLE_SETS = ['train', 'validation', 'test'] as const;
export type SampleSetName = (typeof SAMPLE_SETS)[number];

/** The exact samples both frameworks train and test on, as raw bytes (numpy reads them with fromfile). */
export interface SampleFiles {
  readonly dir: string;
  remove(): Promise<void>;
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, file);
}

/** `<name>-images.u8` (count × 784 pixel bytes) and `<name>-labels.u8` per set, in a fresh temp dir. */
export async function writeSamples(sets: Readonly<Record<SampleSetName, MnistSet>>): Promise<SampleFiles> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-train-'));
  for (const name of SAMPLE_SETS) {
    await writeAtomically(path.join(dir, `${name}-images.u8`), sets[name].images);
    await writeAtomically(path.join(dir, `${name}-labels.u8`), sets[name].labels);
  }
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** One set written by writeSamples, checked as keras_train.py checks it. */
export async function readSamples(dir: string, name: SampleSetName): Promise<MnistSet> {
  const images = new Uint8Array(await fs.readFile(path.join(dir, `${name}-images.u8`)));
  const labels = new Uint8Array(await fs.readFile(path.join(dir, `${name}-labels.u8`)));
  if (images.length !== labels.length * IMAGE_BYTES || labels.length === 0) {
    throw new Error(
      `${name} set in ${dir} holds ${images.length} pixel bytes for ${labels.length} labels; expected ` +
        `${IMAGE_BYTES} bytes per label. Rerun \`npm run bench:train\` to rewrite it.`,
    );
  }
  return { images, labels, count: labels.length };
}
