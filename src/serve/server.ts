/**
 * The inference server: the Open Inference Protocol (KServe V2) REST API of the champion, on Fastify.
 *
 * Plugin contract (how the web app and other additions plug in):
 *   buildServer(services, { plugins: [plugin, …] }) registers each plugin with `{ services }` as its
 *   options, e.g.  `const web: ServePlugin = async (app, { services }) => { app.get('/api/x', …) }`.
 *   `services` (ServeServices below) gives plugins:
 *     - cfg                         the validated configuration (src/config.ts);
 *     - predictor.predict(pixels, count, { source, requestId })
 *                                   pixels: Uint8Array of count × 784 bytes (0–255, row-major 28×28);
 *                                   resolves { requestId, versionId, probabilities (Float32Array count×10),
 *                                   digits }; goes through the same dynamic batcher as /infer and is logged
 *                                   to the prediction log (pass source: 'web');
 *     - predictor.current()         { versionId, metadata } of the champion being served;
 *     - predictionLog.stats()       the prediction log's buffer and counters;
 *     - store                       the model store (versions, promotion history).
 *   Plugins are encapsulated (their content-type parsers and hooks stay theirs); the /v2 routes parse
 *   bodies themselves. Errors thrown by a plugin's routes are answered as {"error": "…"} with the error's
 *   4xx statusCode (or 500). Plugins must not register routes under /v2.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Config } from '../config';
import type { ModelStore } from '../domain/registry/store';
import { VersionNotFoundError } from '../domain/serving/champion';
import type { PredictionLogStats } from '../domain/serving/prediction-log';
import type { Predictor } from '../domain/serving/predictor';
import {
  MODEL_NAME,
  ProtocolError,
  decodeInferRequest,
  encodeInferResponse,
  modelMetadata,
  splitBody,
} from '../domain/serving/protocol';

export interface ServeServices {
  readonly cfg: Config;
  readonly predictor: Pick<Predictor, 'predict' | 'predictImages' | 'current' | 'stats'>;
  readonly predictionLog: { stats(): PredictionLogStats };
  readonly store: ModelStore;
}

export type ServePlugin = FastifyPluginAsync<{ services: ServeServices }>;

export interface ServerOptions {
  readonly plugins?: readonly ServePlugin[];
  /** Fastify's request logging (off by default: it costs throughput). */
  readonly logger?: boolean;
}

const SERVER_NAME = 'temporal-mlops';
const HEADER_LENGTH = 'inference-header-content-length';

function checkModel(name: string): void {
  if (name !== MODEL_NAME) {
    throw new ProtocolError(
      404,
      `Unknown model ${JSON.stringify(name)}: this server serves "${MODEL_NAME}".`,
    );
  }
}

export async function buildServer(
  services: ServeServices,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const { cfg, predictor } = services;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: cfg.serve.bodyLimitBytes,
    // Long-lived clients (load generators, tritonclient) keep connections open; that is fine.
    keepAliveTimeout: 30_000,
  });
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
  });
  const ready = () => !closing && predictor.current() !== undefined;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ProtocolError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof VersionNotFoundError) return reply.code(404).send({ error: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: `The request body is larger than ${cfg.serve.bodyLimitBytes} bytes (SERVE_BODY_LIMIT_BYTES): send fewer images per request.`,
      });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error(err);
    return reply
      .code(status)
      .send({ error: status === 500 ? `Internal server error: ${err.message}` : err.message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `No route ${req.method} ${req.url.split('?')[0]}.` }),
  );

  await app.register(async (v2) => {
    // Bodies are read raw: JSON errors become protocol errors, and the binary extension needs the bytes.
    v2.removeAllContentTypeParsers();
    v2.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    v2.get('/v2', async () => ({ name: SERVER_NAME, version: '0.1.0', extensions: ['binary_tensor_data'] }));
    v2.get('/v2/health/live', async (_req, reply) => reply.code(200).send({ live: true }));
    v2.get('/v2/health/ready', async (_req, reply) =>
      reply.code(ready() ? 200 : 400).send({ ready: ready() }),
    );
    v2.get('/v2/health/detail', async () => ({
      live: true,
      ready: ready(),
      champion: predictor.current() ?? null,
      batcher: predictor.stats(),
      predictionLog: services.predictionLog.stats(),
    }));

    v2.get<{ Params: { name: string } }>('/v2/models/:name', async (req) => {
      checkModel(req.params.name);
      return modelMetadata(predictor.current()?.versionId);
    });
    v2.get<{ Params: { name: string } }>('/v2/models/:name/ready', async (req, reply) => {
      checkModel(req.params.name);
      return reply.code(ready() ? 200 : 400).send({ name: MODEL_NAME, ready: ready() });
    });
    v2.get<{ Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version',
      async (req) => {
        checkModel(req.params.name);
        await knownVersion(services.store, req.params.version);
        return modelMetadata(req.params.version);
      },
    );
    v2.get<{ Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version/ready',
      async (req, reply) => {
        checkModel(req.params.name);
        await knownVersion(services.store, req.params.version);
        return reply.code(ready() ? 200 : 400).send({ name: MODEL_NAME, ready: ready() });
      },
    );

    const infer = async (req: FastifyRequest, reply: FastifyReply, versionId?: string) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const header = req.headers[HEADER_LENGTH];
      const { json, binary } = splitBody(raw, Array.isArray(header) ? header[0] : header);
      const request = decodeInferRequest(json, binary, { maxImages: cfg.serve.maxImages });
      if (!ready()) throw new ProtocolError(503, 'The server is shutting down or has no champion loaded.');
      const prediction = await predictor.predictImages(request.images, request.count, {
        ...(request.id !== undefined ? { requestId: request.id } : {}),
        ...(versionId !== undefined ? { versionId } : {}),
      });
      const { body, headerLength } = encodeInferResponse(request, prediction.requestId, prediction);
      if (headerLength !== undefined) {
        reply.header('Inference-Header-Content-Length', headerLength).type('application/octet-stream');
      } else {
        reply.type('application/json');
      }
      return reply.send(body);
    };
    v2.post<{ Params: { name: string } }>('/v2/models/:name/infer', async (req, reply) => {
      checkModel(req.params.name);
      return infer(req, reply);
    });
    v2.post<{ Params: { name: string; version: string } }>(
      '/v2/models/:name/versions/:version/infer',
      async (req, reply) => {
        checkModel(req.params.name);
        return infer(req, reply, req.params.version);
      },
    );
  });

  for (const plugin of options.plugins ?? []) await app.register(plugin, { services });
  return app;
}

async function knownVersion(store: ModelStore, versionId: string): Promise<void> {
  if (!(await store.version(versionId))) {
    throw new ProtocolError(
      404,
      `Unknown version ${JSON.stringify(versionId)} of "${MODEL_NAME}": the model store does not hold it.`,
    );
  }
}
