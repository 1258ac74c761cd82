import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TrainingDevice } from './result';

const HERE = __dirname;
export const KERAS_SCRIPT = path.join(HERE, 'keras_train.py');

/**
 * The cached venv for the Keras side (bench/train/keras-venv.sh): tensorflow-cpu 2.15.1, or for the GPU
 * tensorflow[and-cuda] 2.15.1 in a venv of its own. Returns its python.
 */
export async function kerasPython(cacheDir: string, device: TrainingDevice): Promise<string> {
  const venv = path.join(cacheDir, device === 'gpu' ? 'keras-gpu-venv' : 'keras-venv');
  const args = [path.join(HERE, 'keras-venv.sh'), ...(device === 'gpu' ? ['--gpu'] : []), venv];
  const { stdout } = await promisify(execFile)('bash', args, { maxBuffer: 1 << 20 }).catch(
    (e: { stderr?: string; message: string }) => {
      throw new Error(`Could not provide the Keras venv at ${venv}:\n${e.stderr || e.message}`);
    },
  );
  const python = stdout.trim().split('\n').at(-1);
  if (!python) throw new Error(`bench/train/keras-venv.sh printed no python path for ${venv}.`);
  return python;
}

/**
 * LD_LIBRARY_PATH for the GPU venv: the lib folders of its nvidia-* wheels, which TensorFlow 2.15 loads by
 * soname and does not always find on its own inside a venv.
 */
export function cudaLibraryPath(python: string): string | undefined {
  const lib = path.join(path.dirname(path.dirname(python)), 'lib');
  const dirs = fs.existsSync(lib)
    ? fs
        .readdirSync(lib)
        .map((py) => path.join(lib, py, 'site-packages', 'nvidia'))
        .filter((d) => fs.existsSync(d))
        .flatMap((d) => fs.readdirSync(d).map((pkg) => path.join(d, pkg, 'lib')))
        .filter((d) => fs.existsSync(d))
    : [];
  if (dirs.length === 0) return undefined;
  return [...dirs, ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(':');
}
