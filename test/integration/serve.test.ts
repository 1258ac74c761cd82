/**
 * The inference server against the real stack: real champions (the project's CNN, trained briefly and
 * stored in a model store of this test's own), native TensorFlow, Kafka for the prediction log, HTTP on
 * an ephemeral port. Covers the protocol, version routing, the hot swap under load, the prediction log
 * and the official Python client (tritonclient[http], provisioned by scripts/setup.sh).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadTf } from '../../src/adapters/tf-backend';
import { loadConfig } from '../../src/config';
import { predict } from '../../src/domain/model/evaluate';
import { loadModel } from '../../src/domain/model/persistence';
import { ModelStore } from '../../src/domain/registry/store';
import { buildServer } from '../../src/serve/server';
import { openServeServices, type OpenedServe } from '../../src/serve/services';
import { readMnist } from '../support/mnist-fixture';
import { storeTinyVersion } from '../support/tiny-champion';

const run = promisify(execFile);
const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
const topic = `it-predictions-${suffix}`;
const [A, B] = [`it-serve-${suffix}-a`, `it-serve-${suffix}-b`];
const tf = loadTf('cpu');
const testImages = readMnist('t10k', 8);
const serverLog: string[] = [];
const quiet = { info: (m: string) => void serverLog.push(m), warn: (m: string) => void serverLog.push(m) };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('inference server (Open Inference Protocol) on the real stack', () => {
  let tmp: string;
  let store: ModelStore;
  let opened: OpenedServe;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let base: string;
  const expected: Record<string, number[]> = {};
  const cfgEnv = () => ({
    ...process.env,
    MODELS_DIR: path.join(tmp, 'models'),
    KAFKA_PREDICTIONS_TOPIC: topic,
    SERVE_POLL_MS: '300',
  });

  const post = async (url: string, body: unknown) => {
    const r = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Json };
  };
  const infer = (input: Json, extra: Json = {}, url = '/v2/models/mnist-cnn/infer') =>
    post(url, { inputs: [{ name: 'image', ...input }], ...extra });
  const pixels = (n = testImages.count) => Array.from(testImages.images.subarray(0, n * 784));

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'it-serve-'));
    store = new ModelStore(path.join(tmp, 'models'));
    await storeTinyVersion(tf, store, A, { seed: 1 });
    await storeTinyVersion(tf, store, B, { seed: 2, samples: 1000 });
    await store.promote(A);
    for (const v of [A, B]) {
      const model = await loadModel(tf, store.versionPath(v));
      expected[v] = (await predict(tf, model, testImages.images)).map((p) => p.digit);
      model.dispose();
    }
    const cfg = loadConfig(cfgEnv());
    opened = await openServeServices(cfg, quiet);
    app = await buildServer(opened.services);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await opened?.close(2000);
    const kafka = new Kafka({ brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('reports health and the champion in the model metadata', async () => {
    expect((await fetch(`${base}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/mnist-cnn/ready`)).status).toBe(200);
    const meta = (await (await fetch(`${base}/v2/models/mnist-cnn`)).json()) as Json;
    expect(meta).toMatchObject({
      name: 'mnist-cnn',
      versions: [A],
      inputs: [{ name: 'image' }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 10] },
        { name: 'digit', datatype: 'INT64', shape: [-1] },
      ],
    });
  });

  it.each([
    ['UINT8', [8, 28, 28]],
    ['UINT8', [8, 28, 28, 1]],
    ['UINT8', [8, 784]],
    ['FP32', [8, 28, 28]],
    ['FP32', [8, 28, 28, 1]],
    ['FP32', [8, 784]],
  ])('answers %s %j with the champion’s own digits', async (datatype, shape) => {
    const data = datatype === 'UINT8' ? pixels() : pixels().map((v) => v / 255);
    const r = await infer({ datatype, shape, data }, { id: `shape-${datatype}-${shape.length}` });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      model_name: 'mnist-cnn',
      model_version: A,
      id: `shape-${datatype}-${shape.length}`,
    });
    const [probs, digit] = r.json.outputs;
    expect(probs).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [8, 10] });
    expect(digit).toMatchObject({ name: 'digit', datatype: 'INT64', shape: [8] });
    expect(digit.data).toEqual(expected[A]);
    const row0 = (probs.data as number[]).slice(0, 10);
    expect(row0.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it.each([
    ['a bad shape', { datatype: 'UINT8', shape: [1, 28, 29] }, /shape \[1,28,29\]/],
    ['a bad datatype', { datatype: 'FP64', shape: [1, 784] }, /datatype "FP64"/],
    ['too few values', { datatype: 'UINT8', shape: [2, 784], data: new Array(784).fill(0) }, /784 values/],
    [
      'an out-of-range pixel',
      { datatype: 'FP32', shape: [1, 784], data: new Array(784).fill(2) },
      /not an FP32/,
    ],
  ])('answers %s with 400 and an error message', async (_what, input, pattern) => {
    const r = await infer({ data: new Array(784).fill(0), ...input });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(pattern);
  });

  it('answers garbage with 400 and unknown models or versions with 404, and keeps serving', async () => {
    const garbage = await post('/v2/models/mnist-cnn/infer', '\u0000\u00ff{[');
    expect(garbage.status).toBe(400);
    const body = { datatype: 'UINT8', shape: [1, 784], data: pixels(1) };
    const model = await infer(body, {}, '/v2/models/mnist-cnnx/infer');
    expect(model.status).toBe(404);
    expect(model.json.error).toMatch(/Unknown model/);
    const version = await infer(body, {}, '/v2/models/mnist-cnn/versions/no-such-version/infer');
    expect(version.status).toBe(404);
    expect(version.json.error).toMatch(/no-such-version.*not found/);
    const traversal = await infer(body, {}, '/v2/models/mnist-cnn/versions/..%2F..%2Fetc/infer');
    expect(traversal.status).toBe(404);
    expect((await infer(body)).status).toBe(200);
  });

  it('routes /versions/<id>/infer to an archived version without changing the champion', async () => {
    const r = await infer(
      { datatype: 'UINT8', shape: [8, 784], data: pixels() },
      {},
      `/v2/models/mnist-cnn/versions/${B}/infer`,
    );
    expect(r.status).toBe(200);
    expect(r.json.model_version).toBe(B);
    expect(r.json.outputs[1].data).toEqual(expected[B]);
    const champion = await infer({ datatype: 'UINT8', shape: [8, 784], data: pixels() });
    expect(champion.json.model_version).toBe(A);
  });

  it('the official tritonclient[http] calls metadata and infer unchanged', async () => {
    const python = path.join(loadConfig().stack.cacheDir, 'triton-client-venv', 'bin', 'python');
    await fs.access(python).catch(() => {
      throw new Error(
        `${python} is missing: run scripts/provision-triton-client.sh (npm test runs it via scripts/setup.sh).`,
      );
    });
    const file = path.join(tmp, 'pixels.bin');
    await fs.writeFile(file, testImages.images);
    const { stdout } = await run(python, [
      path.join(__dirname, '..', 'support', 'tritonclient_check.py'),
      base.replace(/^http:\/\//, ''),
      file,
      String(testImages.count),
    ]);
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Json;
    expect(out).toMatchObject({ live: true, ready: true, modelReady: true });
    expect(out.metadata).toMatchObject({ name: 'mnist-cnn', versions: [A] });
    expect(out.binary).toEqual({
      version: A,
      id: 'tc-binary',
      digits: expected[A],
      probabilitiesShape: [8, 10],
    });
    expect(out.json).toEqual({ version: A, outputs: ['digit'], digits: expected[A] });
    expect(out.error).toMatch(/Unknown model "no-such-model"/);
  });

  it('npm run serve exits 3 on a taken port, and stops gracefully on SIGTERM with the log flushed', async () => {
    const main = [path.join(__dirname, '..', '..', 'src', 'serve', 'main.ts')];
    const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const env = { ...cfgEnv(), SERVE_HOST: '127.0.0.1' };
    const taken = await run(tsx, main, { env: { ...env, SERVE_PORT: new URL(base).port } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(taken.code).toBe(3);
    expect(taken.stderr).toMatch(/already in use.*SERVE_PORT/);

    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const child = spawn(tsx, main, { env: { ...env, SERVE_PORT: String(port) } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const childBase = `http://127.0.0.1:${port}`;
    for (let i = 0; !stdout.includes('serving champion'); i++) {
      if (i > 600) throw new Error(`npm run serve did not start: ${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await fetch(`${childBase}/v2/models/mnist-cnn/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [{ name: 'image', datatype: 'UINT8', shape: [2, 784], data: pixels(2) }],
      }),
    });
    expect(r.status).toBe(200);
    // tsx passes the signal on to the node process running main.ts.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped (2 predictions logged, 0 dropped)');
  });

  it('follows promotions under concurrent load: swaps within 2 s, no failed request, no stale answer', async () => {
    const responses: { sentAt: number; status: number; version?: string }[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const sentAt = performance.now();
        try {
          const r = await infer({ datatype: 'UINT8', shape: [1, 784], data: pixels(1) });
          responses.push({ sentAt, status: r.status, version: r.json.model_version });
        } catch {
          responses.push({ sentAt, status: 0 });
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // Swap k: champion[k] is served from swapDone[k] on (when the server first reports it).
    const swaps: { version: string; promotedAt: number; promoted: number; swapDone: number }[] = [];
    for (const version of [B, A, B, A]) {
      await new Promise((r) => setTimeout(r, 300));
      const promotedAt = performance.now();
      await store.promote(version);
      // The promotion is made when promote() returns (it fsyncs the pointer and the history first).
      const promoted = performance.now();
      for (;;) {
        const meta = (await (await fetch(`${base}/v2/models/mnist-cnn`)).json()) as Json;
        if (meta.versions[0] === version) break;
        if (performance.now() - promoted > 5000)
          throw new Error(`the server did not swap to ${version} in 5 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      swaps.push({ version, promotedAt, promoted, swapDone: performance.now() });
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);

    const swapMs = swaps.map((s) => Math.round(s.swapDone - s.promoted));
    const promoteMs = swaps.map((s) => Math.round(s.promoted - s.promotedAt));
    console.log(
      `swap times under load (ms): ${swapMs.join(', ')} (promote() itself: ${promoteMs.join(', ')}); ${responses.length} requests\n${serverLog.join('\n')}`,
    );
    for (const ms of swapMs) expect(ms).toBeLessThan(2000);
    expect(responses.filter((r) => r.status !== 200)).toEqual([]);
    // A request sent after swap k completed (and before promotion k+1 began) must be answered by version k.
    const stale = responses.filter((r) => {
      const k = swaps.findIndex(
        (s, i) => r.sentAt >= s.swapDone && r.sentAt < (swaps[i + 1]?.promotedAt ?? Infinity),
      );
      return k >= 0 && r.version !== swaps[k]!.version;
    });
    expect(stale).toEqual([]);
    expect(responses.length).toBeGreaterThan(50);
    expect(new Set(responses.map((r) => r.version))).toEqual(new Set([A, B]));
    expect(opened.follower.swaps).toBe(4);
  });

  it('logs every prediction to Kafka: key = request id, version, digit, probabilities, latency', async () => {
    const id = `kafka-${suffix}`;
    const r = await infer({ datatype: 'UINT8', shape: [3, 784], data: pixels(3) }, { id });
    expect(r.status).toBe(200);
    expect(await opened.services.predictionLog.flush(10_000)).toBe(true);

    const kafka = new Kafka({ brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `it-serve-${suffix}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const mine: Json[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`records of request ${id} not found in ${topic}`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() !== id) return;
            mine.push(JSON.parse(message.value!.toString()) as Json);
            if (mine.length === 3) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    const version = r.json.model_version as string;
    expect(mine.map((m) => m.index).sort()).toEqual([0, 1, 2]);
    for (const m of mine) {
      expect(m).toMatchObject({ requestId: id, versionId: version, source: 'oip' });
      expect(m.digit).toBe(expected[version]![m.index]);
      expect(m.probabilities).toHaveLength(10);
      expect(m.latencyMs).toBeGreaterThan(0);
    }
    expect(opened.services.predictionLog.stats().dropped).toBe(0);
  });
});
