import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PLACEMENT_LOG_ENV, PlacementLog } from './placement';
import { runResultSchema, type RunResult } from './result';

export interface ChildRun {
  /** What the run is, for error messages: "tfjs repeat 2/3". */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to our environment (which carries the thread settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Log where TensorFlow placed the kernels and check the heavy ones are on this kind of device. */
  readonly placement?: 'CPU' | 'GPU';
}

/**
 * Runs one training process and returns the result it prints as its last stdout line. Its stderr (epoch
 * lines, TensorFlow's messages) passes through to ours, less the placement lines, which are counted.
 */
export async function runChild(run: ChildRun): Promise<RunResult> {
  const env = { ...process.env, ...run.env, ...(run.placement && PLACEMENT_LOG_ENV) };
  const child = spawn(run.command, run.args, { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const placement = new PlacementLog();
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!(run.placement && placement.take(line))) process.stderr.write(`${line}\n`);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`${run.label}: could not start ${run.command}: ${e.message}`)));
    child.on('close', resolve);
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0) {
    throw new Error(`${run.label} failed (exit ${code}); its messages are above. Last output: ${last}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`${run.label} printed no JSON result; its last line was: ${last || '(nothing)'}`);
  }
  const result = runResultSchema.safeParse(parsed);
  if (!result.success) {
    throw new Error(`${run.label} printed an unexpected result (${result.error.message}): ${last}`);
  }
  if (!run.placement) return result.data;
  return { ...result.data, placement: placement.summary(), misplaced: placement.offDevice(run.placement) };
}
