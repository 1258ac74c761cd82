/** The HTTP layer with a fake predictor (no TensorFlow): routes, status codes, error bodies, plugins. */
import { loadConfig } from '../../../src/config';
import type { ModelStore } from '../../../src/domain/registry/store';
import { buildServer, type ServePlugin, type ServeServices } from '../../../src/serve/server';

const cfg = loadConfig({ SERVE_BODY_LIMIT_BYTES: '20000', SERVE_MAX_IMAGES: '4' });
const calls: { count: number; versionId?: string }[] = [];
const predictor: ServeServices['predictor'] = {
  current: () => ({ versionId: 'v1', metadata: { versionId: 'v1' } as never }),
  stats: () => ({ batches: 0, images: 0, largestBatch: 0, swaps: 0, archivedLoaded: [] }),
  predict: async () => {
    throw new Error('unused');
  },
  async predictImages(_images, count, opts = {}) {
    calls.push({ count, ...(opts.versionId ? { versionId: opts.versionId } : {}) });
    const probabilities = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) probabilities[i * 10 + 3] = 1;
    return {
      requestId: opts.requestId ?? 'made-up',
      versionId: opts.versionId ?? 'v1',
      probabilities,
      digits: new Array(count).fill(3),
    };
  },
};
const store = {
  version: async (v: string) => (v === 'v0' ? ({ versionId: 'v0' } as never) : null),
} as unknown as ModelStore;
const services: ServeServices = {
  cfg,
  predictor,
  store,
  predictionLog: {
    stats: () => ({ capacity: 1, buffered: 0, sent: 0, dropped: 0, failedSends: 0, lastError: null }),
  },
};
const body = (n: number, extra: object = {}) =>
  JSON.stringify({
    inputs: [{ name: 'image', datatype: 'UINT8', shape: [n, 784], data: new Array(n * 784).fill(0) }],
    ...extra,
  });

describe('inference server routes', () => {
  const seen: unknown[] = [];
  const plugin: ServePlugin = async (app, opts) => {
    seen.push(opts.services);
    app.get('/api/hello', async () => ({ champion: opts.services.predictor.current()?.versionId }));
  };
  let app: Awaited<ReturnType<typeof buildServer>>;
  let base: string;
  // Real HTTP on an ephemeral port (fastify's inject needs an ESM module jest cannot load).
  const call = async (
    opts: string | { method?: string; url: string; headers?: Record<string, string>; payload?: string },
  ) => {
    const o = typeof opts === 'string' ? { url: opts } : opts;
    const r = await fetch(base + o.url, {
      method: o.method ?? 'GET',
      headers: o.headers ?? {},
      ...(o.payload !== undefined ? { body: o.payload } : {}),
    });
    const text = await r.text();
    return { statusCode: r.status, json: () => JSON.parse(text) };
  };
  beforeAll(async () => {
    app = await buildServer(services, { plugins: [plugin] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('answers health, server and model metadata, and readiness', async () => {
    expect((await call('/v2/health/live')).statusCode).toBe(200);
    expect((await call('/v2/health/ready')).statusCode).toBe(200);
    expect((await call('/v2/models/mnist-cnn/ready')).statusCode).toBe(200);
    expect((await call('/v2')).json()).toMatchObject({
      name: 'temporal-mlops',
      extensions: ['binary_tensor_data'],
    });
    expect((await call('/v2/models/mnist-cnn')).json()).toMatchObject({
      name: 'mnist-cnn',
      versions: ['v1'],
    });
    expect((await call('/v2/models/mnist-cnn/versions/v0')).json()).toMatchObject({ versions: ['v0'] });
    expect((await call('/v2/health/detail')).json()).toMatchObject({
      ready: true,
      predictionLog: { dropped: 0 },
    });
  });

  it('infers with or without a JSON content type, echoing the id', async () => {
    const variants: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      {},
      { 'content-type': 'text/plain' },
    ];
    for (const headers of variants) {
      const r = await call({
        method: 'POST',
        url: '/v2/models/mnist-cnn/infer',
        headers,
        payload: body(2, { id: 'x1' }),
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ model_name: 'mnist-cnn', model_version: 'v1', id: 'x1' });
      expect(r.json().outputs[1].data).toEqual([3, 3]);
    }
  });

  it('routes /versions/<id>/infer to that version', async () => {
    const r = await call({
      method: 'POST',
      url: '/v2/models/mnist-cnn/versions/v0/infer',
      payload: body(1),
    });
    expect(r.json().model_version).toBe('v0');
    expect(calls.at(-1)).toEqual({ count: 1, versionId: 'v0' });
  });

  it.each([
    ['garbage', 'POST', '/v2/models/mnist-cnn/infer', 'not json{', 400, /not valid JSON/],
    ['an empty body', 'POST', '/v2/models/mnist-cnn/infer', undefined, 400, /empty/],
    ['too many images', 'POST', '/v2/models/mnist-cnn/infer', body(5), 400, /at most 4/],
    ['an unknown model', 'POST', '/v2/models/resnet/infer', body(1), 404, /Unknown model "resnet"/],
    ['unknown model metadata', 'GET', '/v2/models/resnet', undefined, 404, /Unknown model/],
    ['an unknown version', 'GET', '/v2/models/mnist-cnn/versions/v9', undefined, 404, /Unknown version "v9"/],
    ['an unknown route', 'GET', '/v3/nothing', undefined, 404, /No route GET \/v3\/nothing/],
    [
      'a body over the limit',
      'POST',
      '/v2/models/mnist-cnn/infer',
      'x'.repeat(20001),
      413,
      /SERVE_BODY_LIMIT_BYTES/,
    ],
  ])('answers %s with a JSON error', async (_what, method, url, payload, status, pattern) => {
    const r = await call({
      method: method as 'GET' | 'POST',
      url,
      ...(payload !== undefined ? { payload } : {}),
    });
    expect(r.statusCode).toBe(status);
    expect(r.json().error).toMatch(pattern);
  });

  it('hands plugins the same services object', async () => {
    expect(seen).toEqual([services]);
    expect((await call('/api/hello')).json()).toEqual({ champion: 'v1' });
  });
});
