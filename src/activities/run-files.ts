/**
 * Where one workflow run keeps its intermediate files: checkpoints, staged models and evaluation reports,
 * under DATA_DIR/runs/<run key>. Both workers see the same folder (one machine, or a shared volume).
 */
import path from 'node:path';
import { InvalidInputError } from './errors';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function runDir(dataDir: string, key: string): string {
  if (!KEY.test(key)) {
    throw new InvalidInputError(
      `run key ${JSON.stringify(key)} may only hold letters, digits, ".", "_" and "-"`,
    );
  }
  return path.join(dataDir, 'runs', key);
}

export const runPaths = (dataDir: string, key: string) => {
  const dir = runDir(dataDir, key);
  return {
    dir,
    checkpoints: (activity: string) => path.join(dir, 'checkpoints', activity),
    checkpoint: (activity: string, epochsCompleted: number) =>
      path.join(dir, 'checkpoints', activity, `epoch-${epochsCompleted}`),
    staged: (name: string) => path.join(dir, 'staged', name),
    report: (name: string) => path.join(dir, `report-${name}.json`),
  };
};
