/**
 * The web app, as a Fastify plugin of the inference server: the page at / (web/dist, bundled by
 * buildWeb) and its JSON API under /api.
 *
 *   GET  /api/dashboard     champion, versions, cycles, lag, dead letters, accuracy in service
 *   POST /api/samples       a labelled drawing → mnist.samples (record format v1, source=web); bearer token
 *   GET  /api/samples/:id   where that sample went: partition/offset, batch, retrain cycle and its decision
 *
 * Writing needs WEB_TOKEN as a bearer token, is rate-limited per client address and size-limited, and the
 * body is validated before anything reaches Kafka. Reads are open to loopback clients and need the token
 * from anywhere else. Errors are `{"error": "…"}` with a 4xx/5xx status, as the inference routes answer.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError, SETTINGS, type Config } from '../../config';
import type { ServeServices } from '../server';
import type { ApiError } from './api-types';
import { authProblem, checkBearer, isLoopback, isLoopbackHost } from './auth';
import { openWebBackend, UnavailableError, type NewSample, type WebBackend } from './backend';
import { buildWeb, WEB_DIST } from './build';
import { parseSubmission, SubmissionError } from './submission';

/** What the web app uses of the inference server's services (ServeServices fits). */
export interface WebServices {
  readonly cfg: Config;
  /** The champion in service; a submission records what it predicts for the submitted pixels. */
  readonly predictor?: Pick<ServeServices['predictor'], 'predict'>;
}

export interface WebAppOptions {
  readonly services: WebServices;
  /** Tests pass a fake; by default the real one on the configured stack, closed with the server. */
  readonly backend?: WebBackend;
  /** The bundle to serve; built (if stale) at registration when left out. */
  readonly assetsDir?: string;
}

export const WEB_SAMPLE_ID = /^web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  // The Temporal and MLflow UIs are linked, not embedded; the inference routes are same-origin.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function fail(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).send({ error } satisfies ApiError);
}

/** Fastify's own 4xx errors, said in terms of what the client should change. */
function clientProblem(err: { code?: string; message: string }, bodyLimit: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than ${bodyLimit} bytes (WEB_SUBMIT_BODY_BYTES): send {"label", "pixels"} only`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'the body must be JSON: send Content-Type: application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is empty: send {"label": 0..9, "pixels": [784 numbers 0..255]}';
    default:
      return err.message;
  }
}

function requireToken(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<undefined> => {
    const outcome = checkBearer(req.headers.authorization, token);
    if (outcome === 'ok') return;
    reply.header('www-authenticate', 'Bearer realm="temporal-mlops web app"');
    fail(reply, 401, authProblem(outcome));
  };
}

async function prediction(
  services: WebServices,
  id: string,
  pixels: Uint8Array,
): Promise<NewSample['prediction']> {
  if (!services.predictor) return null;
  try {
    // Logged to the prediction log under the sample's id: predictions and labels join on it there too.
    const r = await services.predictor.predict(pixels, 1, { source: 'web', requestId: id });
    const digit = r.digits[0];
    return digit === undefined ? null : { digit, versionId: r.versionId };
  } catch {
    return null; // no champion in service yet: the sample still counts, just not for accuracy in service
  }
}

async function api(app: FastifyInstance, opts: { services: WebServices; backend: WebBackend }) {
  const { cfg } = opts.services;
  const { backend } = opts;
  const bodyLimit = cfg.web.submitBodyBytes;
  const writer = requireToken(cfg.web.token);

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    if (err instanceof SubmissionError) return fail(reply, 400, err.message);
    if (err instanceof UnavailableError) return fail(reply, 503, err.message);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return fail(reply, status, clientProblem(err, bodyLimit));
    req.log.error({ err }, 'web api request failed');
    return fail(reply, 500, `internal error: ${err.message}`);
  });
  app.setNotFoundHandler((req, reply) =>
    fail(
      reply,
      404,
      `no route ${req.method} ${req.url.split('?')[0]}; the web API has GET /api/dashboard, POST /api/samples, GET /api/samples/:id`,
    ),
  );
  // Reads are open on this machine only: from elsewhere they need the same token as writes.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' && !isLoopback(req.ip)) return writer(req, reply);
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (req, ctx) => ({
      statusCode: 429,
      message: `more than ${ctx.max} submissions per minute from ${req.ip} (WEB_SUBMIT_RATE); retry in ${ctx.after}`,
    }),
  });

  app.get('/dashboard', async () => backend.dashboard());

  app.post(
    '/samples',
    {
      bodyLimit,
      config: { rateLimit: { max: cfg.web.submitPerMinute, timeWindow: 60_000 } },
      // After the rate limit (an onRequest hook), so guessing the token is limited too; before the body is read.
      preParsing: writer,
    },
    async (req, reply) => {
      const { label, pixels } = parseSubmission(req.body);
      const id = `web-${randomUUID()}`;
      const submitted = await backend.submit({
        id,
        label,
        pixels,
        prediction: await prediction(opts.services, id, pixels),
      });
      req.log.info({ sample: id, label, offset: submitted.offset }, 'web sample published');
      return reply.code(201).header('location', `/api/samples/${id}`).send(submitted);
    },
  );

  app.get<{ Params: { id: string } }>('/samples/:id', async (req, reply) => {
    const { id } = req.params;
    if (!WEB_SAMPLE_ID.test(id))
      return fail(reply, 400, `${JSON.stringify(id.slice(0, 64))} is not a web sample id (web-<uuid>)`);
    const view = await backend.sample(id);
    if (!view) return fail(reply, 404, `no web sample ${id}: it was never submitted to this pipeline`);
    return view;
  });
}

export const webApp: FastifyPluginAsync<WebAppOptions> = async (app, opts) => {
  const { cfg } = opts.services;
  if (cfg.web.token === SETTINGS.WEB_TOKEN.default && !isLoopbackHost(cfg.serve.host)) {
    // The default is in the README: fine on this machine only.
    throw new ConfigError([
      `SERVE_HOST=${cfg.serve.host} lets other machines reach the web app, but WEB_TOKEN is the documented ` +
        'local default: set WEB_TOKEN to a secret of your own (e.g. `openssl rand -hex 24`)',
    ]);
  }
  const backend = opts.backend ?? openWebBackend(cfg);
  if (!opts.backend) app.addHook('onClose', () => backend.close());
  let root = opts.assetsDir;
  if (!root) {
    await buildWeb();
    root = WEB_DIST;
  }
  await app.register(api, { prefix: '/api', services: opts.services, backend });
  await app.register(fastifyStatic, {
    root: path.resolve(root),
    prefix: '/',
    index: 'index.html',
    // One route per bundled file instead of a catch-all GET /*, which would answer every unknown path
    // (/api/…, /v2/…) itself instead of the not-found handler of the API it belongs to.
    wildcard: false,
    setHeaders: (res) => {
      res.header('content-security-policy', CSP);
      res.header('x-content-type-options', 'nosniff');
    },
  });
};
