/** A Temporal client for the configured server; a server that does not answer is "not ready", with the fix. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { notReady } from './errors';

export interface PipelineConnection {
  readonly client: Client;
  close(): Promise<void>;
}

export async function connect(cfg: Config, connectTimeoutMs = 5000): Promise<PipelineConnection> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: cfg.temporal.address,
      connectTimeout: connectTimeoutMs,
    });
  } catch (e) {
    throw notReady(
      `Temporal does not answer at ${cfg.temporal.address} (${e instanceof Error ? e.message : String(e)}). ` +
        'Start the stack with `npm run stack -- up`, or set TEMPORAL_ADDRESS.',
      e,
    );
  }
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  return { client, close: () => connection.close() };
}

/** Temporal Web UI page of a workflow execution. */
export function workflowUrl(cfg: Config, workflowId: string, runId?: string): string {
  const base = `http://127.0.0.1:${cfg.temporal.uiPort}/namespaces/${encodeURIComponent(cfg.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}
