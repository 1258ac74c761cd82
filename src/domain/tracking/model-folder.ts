/** The model folder a run uploads must hold what the run promises, checked before anything is logged. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MlflowInputError } from './tracker';

/** MlflowInputError (non-retryable): a retry would find the same folder. */
export async function checkModelFolder(
  dir: string,
  required: readonly string[],
  hint: string,
): Promise<void> {
  const missing: string[] = [];
  for (const name of required) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (!stat?.isFile()) missing.push(name);
  }
  if (missing.length > 0) {
    throw new MlflowInputError(`model folder ${dir} lacks ${missing.join(', ')}; ${hint}`);
  }
}
