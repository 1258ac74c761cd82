/**
 * The model folder a run uploads must hold what the run promises, checked before anything is logged; a run
 * is planned (bad input becomes MlflowInputError) before anything is sent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  executeRunPlan,
  type LoggedRun,
  type RunPlan,
  type RunPlanOptions,
  type TrackingTarget,
} from './run-plan';
import { MlflowInputError, type TrackingClient } from './tracker';

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

/** Checks the stored version a run uploads (if any), plans the run, then executes the plan. */
export async function logPlannedRun(
  client: TrackingClient,
  target: TrackingTarget,
  options: RunPlanOptions,
  run: {
    /** "the bootstrap run", "retrain cycle <id>": named in errors. */
    readonly what: string;
    readonly version?: { readonly dir: string; readonly hint: string };
    readonly plan: () => RunPlan;
  },
): Promise<LoggedRun> {
  if (run.version) await checkModelFolder(run.version.dir, ['model.json', 'metadata.json'], run.version.hint);
  let plan: RunPlan;
  try {
    plan = run.plan();
  } catch (err) {
    if (err instanceof MlflowInputError) throw err;
    throw new MlflowInputError(`cannot log ${run.what}: ${(err as Error).message}`);
  }
  return executeRunPlan(client, target, plan, options);
}
