/**
 * The web app's HTTP surface with a fake pipeline behind it: credential, validation, size and rate limits,
 * and what reaches the pipeline (nothing, on any 4xx).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/config';
import type { Dashboard, SampleView } from '../../../src/serve/web/api-types';
import { UnavailableError, type NewSample, type WebBackend } from '../../../src/serve/web/backend';
import { WEB_SAMPLE_ID, webApp } from '../../../src/serve/web';

const TOKEN = 'unit-test-token-0123';
const cfg = loadConfig({ ...process.env, WEB_TOKEN: TOKEN, WEB_SUBMIT_RATE: '4' });
const auth = { authorization: `Bearer ${TOKEN}` };

/** A plausible digit: a vertical bar of ink. */
function pixels(): number[] {
  const p = new Array<number>(784).fill(0);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) p[y * 28 + x] = 255;
  return p;
}

class FakeBackend implements WebBackend {
  submitted: NewSample[] = [];
  failWith: Error | undefined;
  async submit(s: NewSample) {
    if (this.failWith) throw this.failWith;
    this.submitted.push(s);
    return {
      id: s.id,
      label: s.label,
      topic: 'mnist.samples',
      partition: 0,
      offset: String(100 + this.submitted.length),
      predicted: s.prediction?.digit ?? null,
      modelVersion: s.prediction?.versionId ?? null,
    };
  }
  async sample(id: string): Promise<SampleView | undefined> {
    const s = this.submitted.find((x) => x.id === id);
    return (
      s && {
        id,
        label: s.label,
        topic: 'mnist.samples',
        partition: 0,
        offset: '101',
        predicted: null,
        modelVersion: null,
        submittedAt: new Date().toISOString(),
        batch: null,
        cycle: null,
      }
    );
  }
  async dashboard() {
    if (this.failWith) throw this.failWith;
    return { generatedAt: new Date().toISOString(), refreshMs: 10_000 } as Dashboard;
  }
  async close() {}
}

let dir: string;
let app: FastifyInstance;
let backend: FakeBackend;
let predictor: { predict: jest.Mock };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'web-assets-'));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><title>web app</title>');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  backend = new FakeBackend();
  predictor = {
    predict: jest.fn(async () => ({
      requestId: 'r',
      versionId: 'm-champion',
      probabilities: new Float32Array(10),
      digits: [1],
    })),
  };
  app = Fastify();
  await app.register(webApp, { services: { cfg, predictor }, backend, assetsDir: dir });
  await app.ready();
});
afterEach(() => app.close());

const post = (payload: unknown, headers: Record<string, string> = auth, remoteAddress?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/samples',
    headers,
    payload: payload as object,
    ...(remoteAddress ? { remoteAddress } : {}),
  });

describe('the page', () => {
  it('is served at / with a content security policy that allows nothing from elsewhere', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<title>web app</title>');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('POST /api/samples', () => {
  it('publishes a valid labelled drawing with the champion prediction for its pixels', async () => {
    const r = await post({ label: 7, pixels: pixels() });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({
      label: 7,
      partition: 0,
      offset: '101',
      predicted: 1,
      modelVersion: 'm-champion',
    });
    expect(body.id).toMatch(WEB_SAMPLE_ID);
    expect(r.headers.location).toBe(`/api/samples/${body.id}`);
    expect(backend.submitted).toHaveLength(1);
    const s = backend.submitted[0]!;
    expect(s.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(s.pixels)).toEqual(pixels());
    expect(predictor.predict).toHaveBeenCalledWith(s.pixels, 1, { source: 'web', requestId: s.id });
  });

  it('still publishes when no champion is in service, without a prediction', async () => {
    predictor.predict.mockRejectedValueOnce(new Error('no champion'));
    const r = await post({ label: 3, pixels: pixels() });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ predicted: null, modelVersion: null });
  });

  it.each([
    ['no header', {}, /needs a credential.*Authorization: Bearer <WEB_TOKEN>/],
    ['another scheme', { authorization: `Basic ${TOKEN}` }, /is not "Bearer <token>"/],
    ['a wrong token', { authorization: 'Bearer not-the-token-at-all' }, /bearer token is wrong/],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, /bearer token is wrong/],
  ])('refuses %s with 401 and reaches nothing', async (_name, headers, message) => {
    const r = await post({ label: 7, pixels: pixels() }, headers as Record<string, string>);
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(r.json().error).toMatch(message);
    expect(r.body).not.toContain(TOKEN);
    expect(backend.submitted).toHaveLength(0);
    expect(predictor.predict).not.toHaveBeenCalled();
  });

  const bad = (over: Record<string, unknown>) => ({ label: 7, pixels: pixels(), ...over });
  const withPixel = (i: number, v: unknown) => {
    const p: unknown[] = pixels();
    p[i] = v;
    return p;
  };
  it.each([
    ['label 10', bad({ label: 10 }), /^label: label must be 0..9/],
    ['label -1', bad({ label: -1 }), /^label: label must be 0..9/],
    ['label "7" (a string)', bad({ label: '7' }), /^label: label must be a number 0..9/],
    ['label 3.5', bad({ label: 3.5 }), /^label: label must be a whole number/],
    ['no label', { pixels: pixels() }, /^label: label must be a number/],
    ['783 pixels', bad({ pixels: pixels().slice(1) }), /^pixels: pixels must hold exactly 784 values/],
    ['785 pixels', bad({ pixels: [...pixels(), 0] }), /^pixels: pixels must hold exactly 784 values/],
    ['a pixel of 256', bad({ pixels: withPixel(5, 256) }), /^pixels\.5: pixels must be 0..255/],
    ['a pixel of -1', bad({ pixels: withPixel(5, -1) }), /^pixels\.5: pixels must be 0..255/],
    ['a pixel of 1.5', bad({ pixels: withPixel(9, 1.5) }), /^pixels\.9: pixels must be whole numbers/],
    ['a pixel "255"', bad({ pixels: withPixel(9, '255') }), /^pixels\.9: pixels must be numbers/],
    ['pixels as a string', bad({ pixels: 'AAAA' }), /^pixels: pixels must be an array of 784/],
    ['a blank drawing', bad({ pixels: new Array(784).fill(0) }), /only 0 pixel\(s\) are lit.*draw a digit/],
    ['an unknown field', bad({ source: 'someone' }), /^body: unknown field\(s\) source/],
    ['an array body', [7], /expected a JSON object/],
  ])('refuses %s with 400 before anything reaches Kafka', async (_name, payload, message) => {
    const r = await post(payload);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(message);
    expect(backend.submitted).toHaveLength(0);
  });

  it('refuses broken JSON and other content types with a 4xx that says what to send', async () => {
    const broken = await app.inject({
      method: 'POST',
      url: '/api/samples',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"label": 7, "pixels": [',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/JSON/);
    const text = await app.inject({
      method: 'POST',
      url: '/api/samples',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'label=7',
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().error).toMatch(/expected a JSON object/);
    const form = await app.inject({
      method: 'POST',
      url: '/api/samples',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'label=7',
    });
    expect(form.statusCode).toBe(415);
    expect(form.json().error).toMatch(/Content-Type: application\/json/);
    expect(backend.submitted).toHaveLength(0);
  });

  it('refuses a body over WEB_SUBMIT_BODY_BYTES with 413', async () => {
    const padded = { label: 7, pixels: pixels(), note: 'x'.repeat(cfg.web.submitBodyBytes) };
    const r = await post(padded);
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatch(
      new RegExp(`larger than ${cfg.web.submitBodyBytes} bytes \\(WEB_SUBMIT_BODY_BYTES\\)`),
    );
    expect(backend.submitted).toHaveLength(0);
  });

  it('limits each client address to WEB_SUBMIT_RATE submissions a minute', async () => {
    for (let i = 0; i < cfg.web.submitPerMinute; i++) {
      expect((await post({ label: i, pixels: pixels() })).statusCode).toBe(201);
    }
    const over = await post({ label: 1, pixels: pixels() });
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toMatch(/more than 4 submissions per minute .*WEB_SUBMIT_RATE.*retry in/);
    expect(over.headers['retry-after']).toBeDefined();
    // Guessing the token counts too, and another address has its own budget.
    expect((await post({ label: 1, pixels: pixels() }, {})).statusCode).toBe(429);
    expect((await post({ label: 1, pixels: pixels() }, auth, '10.0.0.9')).statusCode).toBe(201);
    expect(backend.submitted).toHaveLength(cfg.web.submitPerMinute + 1);
  });

  it('answers 503 with the reason when the pipeline cannot be reached', async () => {
    backend.failWith = new UnavailableError('Kafka at 127.0.0.1:1 cannot be reached');
    const r = await post({ label: 7, pixels: pixels() });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ error: 'Kafka at 127.0.0.1:1 cannot be reached' });
  });
});

describe('reads', () => {
  it('are open to loopback clients and need the token from anywhere else', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/dashboard' })).statusCode).toBe(200);
    const v6 = await app.inject({ method: 'GET', url: '/api/dashboard', remoteAddress: '::1' });
    expect(v6.statusCode).toBe(200);
    const remote = await app.inject({ method: 'GET', url: '/api/dashboard', remoteAddress: '192.168.1.20' });
    expect(remote.statusCode).toBe(401);
    const withToken = await app.inject({
      method: 'GET',
      url: '/api/dashboard',
      remoteAddress: '192.168.1.20',
      headers: auth,
    });
    expect(withToken.statusCode).toBe(200);
  });

  it('finds a submitted sample and tells a malformed or unknown id apart', async () => {
    const { id } = (await post({ label: 2, pixels: pixels() })).json();
    const found = await app.inject({ method: 'GET', url: `/api/samples/${id}` });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ id, label: 2, batch: null, cycle: null });
    const unknown = await app.inject({
      method: 'GET',
      url: '/api/samples/web-00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/never submitted/);
    const malformed = await app.inject({ method: 'GET', url: '/api/samples/stream-123' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatch(/not a web sample id \(web-<uuid>\)/);
  });

  it('answers unknown API routes with a JSON 404 that lists the routes', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatch(/no route GET \/api\/nope; .*POST \/api\/samples/);
  });
});

describe('the credential', () => {
  it('may keep its documented default only while the server listens on loopback', async () => {
    const exposed = loadConfig({ ...process.env, SERVE_HOST: '0.0.0.0', WEB_TOKEN: '' });
    const server = Fastify();
    await expect(
      server.register(webApp, { services: { cfg: exposed }, backend, assetsDir: dir }).ready(),
    ).rejects.toThrow(/SERVE_HOST=0.0.0.0 .* set WEB_TOKEN to a secret of your own/);
    await server.close();
    const own = loadConfig({ ...process.env, SERVE_HOST: '0.0.0.0', WEB_TOKEN: 'my-own-secret-token' });
    const ok = Fastify();
    await ok.register(webApp, { services: { cfg: own }, backend, assetsDir: dir }).ready();
    await ok.close();
  });
});
