import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MnistSet } from '../../src/domain/data';

/** The exact samples both frameworks train and test on, as raw bytes the Keras side reads with numpy. */
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
export async function writeSamples(sets: Readonly<Record<'train' | 'test', MnistSet>>): Promise<SampleFiles> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-train-'));
  for (const [name, set] of Object.entries(sets)) {
    await writeAtomically(path.join(dir, `${name}-images.u8`), set.images);
    await writeAtomically(path.join(dir, `${name}-labels.u8`), set.labels);
  }
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
