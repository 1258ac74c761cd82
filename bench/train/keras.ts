import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { BenchSettings, FrameworkResult } from './result';

const HERE = __dirname;

/** The cached venv with tensorflow-cpu 2.15.1 (bench/train/keras-venv.sh); returns its python. */
export async function kerasPython(cacheDir: string): Promise<string> {
  const venv = path.join(cacheDir, 'keras-venv');
  const { stdout } = await promisify(execFile)('bash', [path.join(HERE, 'keras-venv.sh'), venv], {
    maxBuffer: 1 << 20,
  }).catch((e: { stderr?: string; message: string }) => {
    throw new Error(`Could not provide the Keras venv at ${venv}:\n${e.stderr || e.message}`);
  });
  const python = stdout.trim().split('\n').at(-1);
  if (!python) throw new Error(`bench/train/keras-venv.sh printed no python path for ${venv}.`);
  return python;
}

const kerasOutput = z.object({
  imagesPerSec: z.number().positive(),
  testAccuracy: z.number().min(0).max(1),
  peakRssMb: z.number().positive(),
  cpuMsPerImage: z.number().positive(),
  trainSeconds: z.number().positive(),
  firstBatchSeconds: z.number().nonnegative(),
  finalLoss: z.number(),
  tensorflow: z.string(),
});

/** Runs bench/train/keras_train.py on the sample files; its stderr (epoch lines) passes through to ours. */
export async function runKeras(
  python: string,
  dataDir: string,
  s: BenchSettings,
): Promise<FrameworkResult & { tensorflow: string }> {
  const args = [
    path.join(HERE, 'keras_train.py'),
    ...['--data-dir', dataDir, '--epochs', String(s.epochs), '--batch-size', String(s.batchSize)],
    ...[
      '--threads',
      String(s.threads),
      '--learning-rate',
      String(s.learningRate),
      ...['--learning-rate-decay', String(s.learningRateDecay)],
      '--seed',
      String(s.seed),
    ],
  ];
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0)
    throw new Error(`Keras run failed (exit ${code}); its messages are above. Last output: ${last}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`Keras run printed no JSON result; last line was: ${last || '(nothing)'}`);
  }
  const result = kerasOutput.safeParse(parsed);
  if (!result.success)
    throw new Error(`Keras run printed an unexpected result (${result.error.message}): ${last}`);
  return result.data;
}
