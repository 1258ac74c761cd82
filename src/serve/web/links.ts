/**
 * Where a person looks next: the Temporal Web UI page of a cycle's workflow run and the MLflow UI page of
 * its run. A cycle id is `<workflowId>-<firstExecutionRunId>` (runKey in the workflows), so the workflow
 * run is read back from it; the MLflow run is found by its `cycle_id` tag.
 */
import type { Config } from '../../config';
import { workflowUrl } from '../../client/connection';
import type { CycleLinks } from './api-types';

const RUN_ID = /^(.+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The workflow id and run id a cycle id was made from, or null for an id of another shape. */
export function cycleWorkflow(cycleId: string): { workflowId: string; runId: string } | null {
  const m = RUN_ID.exec(cycleId);
  return m ? { workflowId: m[1]!, runId: m[2]! } : null;
}

export function mlflowRunUrl(cfg: Config, experimentId: string, runId: string): string {
  return `${cfg.mlflow.trackingUri}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}

/** The MLflow runs of retrain cycles: cycle id → run id, in one experiment. */
export interface RunIndex {
  readonly experimentId: string;
  readonly runs: ReadonlyMap<string, string>;
}

export function cycleLinks(
  cfg: Config,
  cycleId: string,
  index: RunIndex | null,
  /** mlflow_run_id from the cycle's ledger metrics, which cycles before MLFLOW_AFTER_COMMIT recorded. */
  recordedRunId?: unknown,
): CycleLinks {
  const wf = cycleWorkflow(cycleId);
  const runId = index?.runs.get(cycleId) ?? (typeof recordedRunId === 'string' ? recordedRunId : undefined);
  return {
    cycleId,
    temporalUrl: wf ? workflowUrl(cfg, wf.workflowId, wf.runId) : null,
    mlflowUrl: index && runId ? mlflowRunUrl(cfg, index.experimentId, runId) : null,
  };
}
