/**
 * Network faults between the IO worker and PostgreSQL, through Toxiproxy (Shopify's TCP fault proxy,
 * built with `go install` into the stack cache on first use): the IO worker talks to the ledger through
 * the proxy; latency is added for the whole cycle, then connections are reset just before the decision
 * is recorded, then every packet is dropped (a blackhole: no reset, no answer) while a stream publishes.
 * The cycle must notice (a failed attempt), recover, and keep every invariant.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { FaultCase } from './cases';
import {
  expectThat,
  inject,
  retrainResult,
  streamResult,
  streamWithRetrain,
  tookEffect,
  waitForStage,
  type Suite,
} from './suite';
import { waitFor } from './wait';
import { WorkerProcess } from './worker-process';

const TOXIPROXY = 'github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0';
const API = 'http://127.0.0.1:8475';
const PROXY_PORT = 15532;
const LATENCY_MS = 150;

/** The toxiproxy server binary, built once into the stack cache (the Go module proxy serves it). */
function toxiproxyBinary(cacheDir: string): string {
  const bin = path.join(cacheDir, 'toxiproxy-2.5.0');
  const exe = path.join(bin, 'server');
  if (!existsSync(exe)) {
    mkdirSync(bin, { recursive: true });
    try {
      // The Go toolchain's default place when a login profile did not put it on PATH.
      const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
      execFileSync(go, ['install', TOXIPROXY], {
        env: { ...process.env, GOBIN: bin, GOPATH: path.join(cacheDir, 'go'), GOFLAGS: '-mod=mod' },
        stdio: 'ignore',
        timeout: 600_000,
      });
    } catch (e) {
      throw new Error(
        `could not build Toxiproxy with \`go install ${TOXIPROXY}\` (${(e as Error).message}); the network case needs Go (https://go.dev) and the Go module proxy`,
      );
    }
  }
  return exe;
}

async function api(method: string, route: string, body?: unknown): Promise<void> {
  const r = await fetch(`${API}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!r.ok) throw new Error(`toxiproxy ${method} ${route}: ${r.status} ${await r.text()}`);
}

/** Milliseconds of one `SELECT 1` through the proxy, or the error it failed with. */
async function probe(s: Suite): Promise<number | Error> {
  const pg = new PgClient({
    query_timeout: 5_000,
    host: '127.0.0.1',
    port: PROXY_PORT,
    user: s.cfg.postgres.user,
    password: s.cfg.postgres.password,
    database: s.cfg.postgres.database,
    connectionTimeoutMillis: 5_000,
  });
  pg.on('error', () => undefined);
  try {
    await pg.connect();
    const t1 = Date.now();
    await pg.query('SELECT 1');
    return Date.now() - t1;
  } catch (e) {
    return e as Error;
  } finally {
    await pg.end().catch(() => undefined);
  }
}

export const networkFaults: FaultCase = {
  name: 'network: latency, connection resets, then a blackhole, between the IO worker and PostgreSQL (Toxiproxy)',
  async run(s) {
    const exe = toxiproxyBinary(s.cfg.stack.cacheDir);
    const log = openSync(path.join(s.env.logsDir, 'toxiproxy.log'), 'a');
    let proxy: ChildProcess | undefined;
    const viaProxy = new WorkerProcess(
      'io',
      { ...s.env.env, POSTGRES_PORT: String(PROXY_PORT) },
      s.env.logsDir,
    );
    try {
      proxy = spawn(exe, ['-host', '127.0.0.1', '-port', '8475'], { stdio: ['ignore', log, log] });
      await waitFor(
        'toxiproxy API',
        () =>
          fetch(`${API}/version`).then(
            (r) => r.ok,
            () => false,
          ),
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      await api('POST', '/proxies', {
        name: 'postgres',
        listen: `127.0.0.1:${PROXY_PORT}`,
        upstream: `127.0.0.1:${s.cfg.postgres.port}`,
        enabled: true,
      });
      // Only the proxied IO worker polls the IO queue during this case.
      await s.io.stop();
      await viaProxy.start();

      const { retrainId } = await streamWithRetrain(s, 'network', 300);
      const latency = inject(s, `${LATENCY_MS} ms latency on the IO worker's PostgreSQL connections`, [
        retrainId,
      ]);
      await api('POST', '/proxies/postgres/toxics', {
        name: 'latency',
        type: 'latency',
        stream: 'downstream',
        attributes: { latency: LATENCY_MS },
      });
      const slow = await probe(s);
      expectThat(
        typeof slow === 'number' && slow >= LATENCY_MS,
        `a query through the proxy is slowed (${String(slow)})`,
      );
      tookEffect(s, latency, `SELECT 1 through the proxy took ${slow} ms`);
      await waitForStage(s, retrainId, 'evaluating', (p) => p.stage === 'evaluating champion and challenger');
      const reset = inject(
        s,
        "TCP resets on the IO worker's PostgreSQL connections before the decision is recorded",
        [retrainId],
      );
      await api('POST', '/proxies/postgres/toxics', {
        name: 'reset',
        type: 'reset_peer',
        stream: 'upstream',
        attributes: { timeout: 0 },
      });
      const refused = await probe(s);
      expectThat(
        refused instanceof Error,
        `a query through the proxy fails while it resets (${String(refused)})`,
      );
      tookEffect(s, reset, `SELECT 1 through the proxy failed: ${(refused as Error).message}`);
      const failed = await waitFor(
        'an IO activity failing on the reset connections',
        async () =>
          (await s.pipeline.pendingActivities(retrainId)).find((a) => a.attempt >= 2 && a.lastFailure),
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      reset.noticedBy = failed.type;
      await api('DELETE', '/proxies/postgres/toxics/reset');
      const r = await retrainResult(s, retrainId);
      expectThat(r.decision === 'promoted' || r.decision === 'rejected', `cycle decided, got ${r.decision}`);
      await api('DELETE', '/proxies/postgres/toxics/latency');

      // Blackhole: packets vanish both ways and nothing resets the connection, so only a read timeout
      // (POSTGRES_QUERY_TIMEOUT_MS) or the connect timeout can end a query that is waiting.
      const hole = await blackhole(s);
      return `${failed.type} failed on the resets (${failed.lastFailure?.slice(0, 50)}…) and retried; ${r.decision} with ${LATENCY_MS} ms added latency; ${hole}`;
    } finally {
      await viaProxy.stop();
      if (!s.io.running()) await s.io.start();
      proxy?.kill('SIGTERM');
      closeSync(log);
    }
  },
};

/** Drops every packet between the IO worker and PostgreSQL during a stream and its retrain, then lifts it. */
async function blackhole(s: Suite): Promise<string> {
  const name = 'network-blackhole';
  const fault = inject(s, "blackhole on the IO worker's PostgreSQL connections during a stream", [
    `stream-${name}-${s.env.tag}`,
    `retrain-${name}-${s.env.tag}`,
  ]);
  for (const stream of ['upstream', 'downstream'])
    await api('POST', '/proxies/postgres/toxics', {
      name: `blackhole-${stream}`,
      type: 'timeout',
      stream,
      attributes: { timeout: 0 },
    });
  const t0 = Date.now();
  const dropped = await probe(s);
  expectThat(
    dropped instanceof Error && Date.now() - t0 >= 4_000,
    `a query through the proxy gets no answer (${String(dropped)} after ${Date.now() - t0} ms)`,
  );
  tookEffect(
    s,
    fault,
    `SELECT 1 through the proxy answered nothing for ${Date.now() - t0} ms: ${(dropped as Error).message}`,
  );
  const { streamId, retrainId } = await streamWithRetrain(s, name, 200);
  const stuck = await waitFor(
    'an IO activity failing in the blackhole',
    async () => (await s.pipeline.pendingActivities(streamId)).find((a) => a.attempt >= 2 && a.lastFailure),
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  fault.noticedBy = stuck.type;
  const held = Date.now() - t0;
  for (const stream of ['upstream', 'downstream'])
    await api('DELETE', `/proxies/postgres/toxics/blackhole-${stream}`);
  const published = await streamResult(s, streamId);
  expectThat(published.published === 200, `the stream published 200 samples, got ${published.published}`);
  const r = await retrainResult(s, retrainId);
  expectThat(r.decision === 'promoted' || r.decision === 'rejected', `cycle decided, got ${r.decision}`);
  return `blackhole held ${(held / 1000).toFixed(1)} s: ${stuck.type} failed (${stuck.lastFailure?.slice(0, 40)}…) and retried, 200 published once, ${r.decision}`;
}
