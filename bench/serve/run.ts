/**
 * `npm run bench:serve`: our inference server against a KServe Python ModelServer serving the same
 * architecture with the same weights, side by side: first both classify the t10k set (same digits?), then
 * closed-loop load with autocannon at concurrency 1 and 16, batch 1 and 32, then promotions under load on
 * ours. The last line is JSON (see bench/serve/README.md). Keep --duration short on a shared machine.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { ModelStore } from '../../src/domain/registry/store';
import { readMnist } from '../../test/support/mnist-fixture';
import { benchStore, startKserve, startOurs, type RunningServer } from './servers';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const log = (line: string) => process.stderr.write(`[bench:serve] ${line}\n`);
const images = readMnist('t10k', 10_000);

function body(offset: number, batch: number): string {
  const data = Array.from(images.images.subarray(offset * 784, (offset + batch) * 784));
  return JSON.stringify({ inputs: [{ name: 'image', datatype: 'UINT8', shape: [batch, 28, 28], data }] });
}

async function digits(server: RunningServer, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let at = 0; at < count; at += 250) {
    const n = Math.min(250, count - at);
    const r = await fetch(`${server.base}/v2/models/mnist-cnn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(at, n),
    });
    if (!r.ok) throw new Error(`${server.name} answered ${r.status}: ${await r.text()}`);
    const json = (await r.json()) as { outputs: { name: string; data: number[] }[] };
    out.push(...json.outputs.find((o) => o.name === 'digit')!.data);
  }
  return out;
}

interface LoadFigures {
  rps: number;
  imagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

async function load(
  server: RunningServer,
  connections: number,
  batch: number,
  duration: number,
): Promise<LoadFigures> {
  const r = await autocannon({
    url: `${server.base}/v2/models/mnist-cnn/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(0, batch),
    connections,
    duration,
  });
  return {
    rps: Math.round(r.requests.average),
    imagesPerSec: Math.round(r.requests.average * batch),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    failed: r.non2xx + r.errors + r.timeouts,
  };
}

/**
 * Promotions under load: 16 closed-loop clients on ours while the bench promotes the two versions in
 * turn through ModelStore.promote, the call a retrain's promotion makes. A swap is complete when the
 * server's metadata names the new champion; a request sent after that (and before the next promotion)
 * answered by another version is stale. swapErrors = failed requests + stale answers.
 */
async function promotionsUnderLoad(
  server: RunningServer,
  store: ModelStore,
  versions: [string, string],
  swaps: number,
) {
  const responses: { sentAt: number; ok: boolean; version?: string }[] = [];
  const req = body(0, 1);
  let stop = false;
  const client = async () => {
    while (!stop) {
      const sentAt = performance.now();
      try {
        const r = await fetch(`${server.base}/v2/models/mnist-cnn/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: req,
        });
        const json = (await r.json()) as { model_version?: string };
        responses.push({ sentAt, ok: r.ok, ...(json.model_version ? { version: json.model_version } : {}) });
      } catch {
        responses.push({ sentAt, ok: false });
      }
    }
  };
  const clients = Array.from({ length: 16 }, client);
  const done: { version: string; promotedAt: number; promoted: number; swapDone: number }[] = [];
  for (let i = 0; i < swaps; i++) {
    await new Promise((r) => setTimeout(r, 700));
    const version = versions[(i + 1) % 2]!;
    const promotedAt = performance.now();
    await store.promote(version);
    // Swap time counts from promote() returning: it fsyncs the pointer and the history, slow on a busy disk.
    const promoted = performance.now();
    for (;;) {
      const meta = (await (await fetch(`${server.base}/v2/models/mnist-cnn`)).json()) as {
        versions: string[];
      };
      if (meta.versions[0] === version) break;
      if (performance.now() - promotedAt > 10_000)
        throw new Error(`ours did not swap to ${version} within 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    done.push({ version, promotedAt, promoted, swapDone: performance.now() });
  }
  await new Promise((r) => setTimeout(r, 700));
  stop = true;
  await Promise.all(clients);
  const failed = responses.filter((r) => !r.ok).length;
  const stale = responses.filter((r) => {
    const k = done.findIndex(
      (s, i) => r.sentAt >= s.swapDone && r.sentAt < (done[i + 1]?.promotedAt ?? Infinity),
    );
    return k >= 0 && r.version !== done[k]!.version;
  }).length;
  const swapMs = done.map((s) => Math.max(0, Math.round(s.swapDone - s.promoted)));
  return {
    swaps: done.length,
    failed,
    stale,
    requests: responses.length,
    maxSwapMs: Math.max(...swapMs),
    swapMs,
  };
}

interface Options {
  only?: 'ours';
  duration: number;
  checkCount: number;
  swaps: number;
}

async function main(opts: Options): Promise<void> {
  const cfg = loadConfig();
  const python = execFileSync(
    path.join(REPO_ROOT, 'bench', 'serve', 'kserve-venv.sh'),
    [path.join(cfg.stack.cacheDir, 'kserve-venv')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
    .trim()
    .split('\n')
    .at(-1)!;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-serve-'));
  const topic = `bench.predictions-${randomBytes(3).toString('hex')}`;
  const { store, versions } = await benchStore(new ModelStore(cfg.paths.modelsDir), path.join(tmp, 'models'));
  log(`versions ${versions.join(' and ')} copied to ${tmp}; logs there too`);
  const servers: RunningServer[] = [];
  try {
    const ours = await startOurs(store.modelsDir, topic, tmp);
    servers.push(ours);
    if (opts.only === 'ours') {
      // Tuning runs (e.g. SERVE_MAX_BATCH=1 to see what dynamic batching brings): ours alone.
      for (const connections of [1, 16]) {
        await load(ours, 16, 1, 1);
        const f = await load(ours, connections, 1, opts.duration);
        log(
          `ours c=${connections} batch=1: ${f.rps} req/s p50 ${f.p50Ms} ms p99 ${f.p99Ms} ms failed ${f.failed}`,
        );
      }
      return;
    }
    const kserve = await startKserve(python, store.versionPath(versions[0]), tmp);
    servers.push(kserve);

    const [a, b] = [await digits(ours, opts.checkCount), await digits(kserve, opts.checkCount)];
    const differ = a.filter((d, i) => d !== b[i]).length;
    const accuracy = a.filter((d, i) => d === images.labels[i]).length / opts.checkCount;
    log(
      `same digits check on ${opts.checkCount} t10k images: ${differ} differ; accuracy ours ${(accuracy * 100).toFixed(2)}%`,
    );
    if (differ > 0)
      throw new Error(
        `the two servers disagree on ${differ} of ${opts.checkCount} images: not the same model`,
      );

    const figures: Record<string, Record<string, LoadFigures>> = { ours: {}, kserve: {} };
    for (const server of [ours, kserve]) {
      await load(server, 16, 1, 1); // warm-up
      for (const connections of [1, 16]) {
        for (const batch of [1, 32]) {
          const f = await load(server, connections, batch, opts.duration);
          figures[server.name]![`c${connections}b${batch}`] = f;
          log(
            `${server.name.padEnd(6)} c=${String(connections).padStart(2)} batch=${String(batch).padStart(2)}: ` +
              `${String(f.rps).padStart(5)} req/s ${String(f.imagesPerSec).padStart(6)} images/s ` +
              `p50 ${f.p50Ms} ms p99 ${f.p99Ms} ms failed ${f.failed}`,
          );
        }
      }
    }
    const swap = await promotionsUnderLoad(ours, store, versions, opts.swaps);
    log(
      `promotions under load (ours, 16 clients, batch 1): ${swap.swaps} swaps in ${swap.swapMs.join('/')} ms, ` +
        `${swap.requests} requests, ${swap.failed} failed, ${swap.stale} stale`,
    );
    const pick = (f: LoadFigures) => ({
      rps: f.rps,
      imagesPerSec: f.imagesPerSec,
      p50Ms: f.p50Ms,
      p99Ms: f.p99Ms,
    });
    const o = figures.ours!.c16b1!;
    const k = figures.kserve!.c16b1!;
    console.log(
      JSON.stringify({
        ours: pick(o),
        kserve: pick(k),
        ratio: Number((o.rps / k.rps).toFixed(2)),
        swaps: swap.swaps,
        swapErrors: swap.failed + swap.stale,
      }),
    );
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    const admin = new Kafka({ brokers: cfg.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect().then(
      () => admin.deleteTopics({ topics: [topic] }).catch(() => undefined),
      () => undefined,
    );
    await admin.disconnect().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

const positiveInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer.`);
  return n;
};

const program = new Command('bench:serve')
  .description('Our inference server vs a KServe Python ModelServer, same model, same requests')
  .option('--only <server>', 'tuning: run only "ours" at batch 1 (no KServe, no promotions)', (v) => {
    if (v !== 'ours') throw new InvalidArgumentError('--only takes "ours".');
    return v;
  })
  .option('--duration <s>', 'seconds per load run', positiveInt('--duration'), 10)
  .option(
    '--check-count <n>',
    't10k images both servers classify first',
    positiveInt('--check-count'),
    10_000,
  )
  .option(
    '--swaps <n>',
    'promotions during the promotion-under-load run (at least 5)',
    positiveInt('--swaps'),
    6,
  )
  .action(async (opts: Options) => {
    if (opts.swaps < 5) throw new InvalidArgumentError('--swaps must be at least 5.');
    await main(opts);
  });
program.parseAsync().catch((err: unknown) => {
  console.error(`[bench:serve] ${(err as Error).message}`);
  process.exit(1);
});
