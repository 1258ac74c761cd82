/**
 * The inference server and web app (`npm run serve`) are not a stack service, but `stack status` lists them
 * when they answer on SERVE_HOST:SERVE_PORT, so that a newcomer after `npm run demo` finds the web app.
 */
import type { Config } from '../config';
import { listenerOf } from './port-owner';

export interface ServedApp {
  /** The web app's address (the inference API is under /v2). */
  readonly url: string;
  /** A champion is loaded and answering. */
  readonly ready: boolean;
  readonly pid?: number;
}

/** What answers on the configured serve address, if it is this project's server; undefined otherwise. */
export async function servedApp(cfg: Config, timeoutMs = 1000): Promise<ServedApp | undefined> {
  // A wildcard listen address is reached through loopback.
  const host = ['0.0.0.0', '::'].includes(cfg.serve.host) ? '127.0.0.1' : cfg.serve.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${cfg.serve.port}`;
  try {
    const server = await fetch(`${base}/v2`, { signal: AbortSignal.timeout(timeoutMs) });
    const name = server.ok ? ((await server.json()) as { name?: unknown }).name : undefined;
    if (name !== 'temporal-mlops') return undefined; // something else holds the port
    const ready = await fetch(`${base}/v2/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    const pid = listenerOf(cfg.serve.port)?.pid;
    return { url: `${base}/`, ready: ready.status === 200, ...(pid ? { pid } : {}) };
  } catch {
    return undefined;
  }
}
