/** A Temporal client for the configured server; a server that does not answer is "not ready", with the fix. */
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../adapters/temporal-connection';
import type { Config } from '../config';
import { notReady } from './errors';

export interface PipelineConnection {
  readonly client: Client;
  close(): Promise<void>;
}

export async function connect(cfg: Config, connectTimeoutMs = 5000): Promise<PipelineConnection> {
  // Outside the try: a missing TLS file is a settings mistake with its own message, not "not ready".
  const options = temporalConnectionOptions(cfg.temporal);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: connectTimeoutMs });
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
