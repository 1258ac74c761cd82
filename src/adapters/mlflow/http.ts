/**
 * Transport to the MLflow tracking server over Node's built-in fetch: base URL, optional basic auth,
 * per-request timeout, and mapping of every failure to an MlflowError.
 *
 * Deliberately no retries here: the calling Temporal activity owns the retry policy, and a blind retry of a
 * non-idempotent call (runs/create, model-versions/create) would create duplicates.
 */
import { MlflowError, type MlflowErrorCode } from './errors';

export interface MlflowConnection {
  /** e.g. http://127.0.0.1:5000, without a trailing slash (loadConfig().mlflow.trackingUri). */
  trackingUri: string;
  /** Basic auth for a server started with `--app-name basic-auth`; both or neither. */
  username?: string | undefined;
  password?: string | undefined;
  /** Default limit for one request, response body included. */
  requestTimeoutMs: number;
}

export interface MlflowHttpOptions {
  /** Aborts every request of this client, e.g. a Temporal activity's cancellation signal. */
  signal?: AbortSignal;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body (serialised here) or raw bytes (sent as application/octet-stream). */
  json?: unknown;
  bytes?: Uint8Array;
  timeoutMs?: number;
}

const STATUS_CODES: Record<number, MlflowErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'RESOURCE_ALREADY_EXISTS',
  429: 'REQUEST_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

export class MlflowHttp {
  readonly baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(conn: MlflowConnection, options: MlflowHttpOptions = {}) {
    let url: URL;
    try {
      url = new URL(conn.trackingUri);
    } catch {
      throw new TypeError(
        `MLflow tracking URI ${JSON.stringify(conn.trackingUri)} is not a URL; set MLFLOW_TRACKING_URI to e.g. http://127.0.0.1:5000`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(
        `MLflow tracking URI must be http(s), got ${url.protocol}; set MLFLOW_TRACKING_URI to e.g. http://127.0.0.1:5000`,
      );
    }
    if (url.username || url.password) {
      // fetch refuses URLs with credentials, and a URL ends up in logs: keep secrets in their own settings.
      throw new TypeError(
        'MLflow tracking URI must not contain credentials; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD instead',
      );
    }
    if (Boolean(conn.username) !== Boolean(conn.password)) {
      throw new TypeError(
        'MLflow basic auth needs both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; set both or neither',
      );
    }
    if (!(conn.requestTimeoutMs > 0)) {
      throw new TypeError(`MLflow request timeout must be positive, got ${conn.requestTimeoutMs} ms`);
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#authorization =
      conn.username && conn.password
        ? `Basic ${Buffer.from(`${conn.username}:${conn.password}`, 'utf8').toString('base64')}`
        : undefined;
    this.#timeoutMs = conn.requestTimeoutMs;
    this.#signal = options.signal;
  }

  /** A JSON API call; resolves to the parsed body ({} for an empty one). */
  async json<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const { endpoint, body } = await this.send(method, path, options);
    const text = Buffer.from(body).toString('utf8');
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new MlflowError({
        status: 200,
        errorCode: 'UNEXPECTED_RESPONSE',
        serverMessage: `response is not JSON: ${excerpt(text)}`,
        endpoint,
        hint: 'is MLFLOW_TRACKING_URI pointing at an MLflow server?',
        cause,
      });
    }
  }

  /** A call whose response body is raw bytes (artifact download). */
  async bytes(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    return (await this.send(method, path, options)).body;
  }

  private async send(
    method: HttpMethod,
    path: string,
    options: RequestOptions,
  ): Promise<{ endpoint: string; body: Uint8Array }> {
    const endpoint = `${method} ${path}`;
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    let body: string | Uint8Array | undefined;
    if (options.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = options.bytes;
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }

    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.#signal ? AbortSignal.any([timeout, this.#signal]) : timeout;
    let status: number | undefined;
    try {
      const res = await fetch(url, { method, headers, body, signal });
      status = res.status;
      const payload = new Uint8Array(await res.arrayBuffer());
      if (!res.ok) throw this.httpError(res.status, payload, endpoint);
      return { endpoint, body: payload };
    } catch (err) {
      if (err instanceof MlflowError) throw err;
      if (timeout.aborted) {
        throw new MlflowError({
          status,
          errorCode: 'TIMEOUT',
          serverMessage: `no complete answer within ${timeoutMs} ms`,
          endpoint,
          hint: `is the tracking server at ${this.baseUrl} overloaded? raise MLFLOW_REQUEST_TIMEOUT_S if the call is legitimately slow`,
          cause: err,
        });
      }
      if (this.#signal?.aborted) {
        throw new MlflowError({
          status,
          errorCode: 'ABORTED',
          serverMessage: 'request cancelled by the caller',
          endpoint,
          cause: err,
        });
      }
      throw new MlflowError({
        status,
        errorCode: 'NETWORK_ERROR',
        serverMessage: describeNetworkError(err),
        endpoint,
        hint: `is the tracking server at ${this.baseUrl} running? start the local stack with \`npm run stack -- up\``,
        cause: err,
      });
    }
  }

  private httpError(status: number, payload: Uint8Array, endpoint: string): MlflowError {
    const text = Buffer.from(payload).toString('utf8');
    let errorCode: MlflowErrorCode | undefined;
    let serverMessage: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
      if (typeof parsed.message === 'string') serverMessage = parsed.message;
    } catch {
      // Not JSON (a proxy's HTML page, a bare Flask 404): keep an excerpt of the text instead.
    }
    errorCode ??= STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    serverMessage ??= excerpt(text) || '(empty response body)';
    let hint: string | undefined;
    if (status === 401) {
      hint = 'the server wants credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD';
    } else if (status === 403) {
      hint = 'the MLflow user lacks permission for this resource';
    }
    return new MlflowError({ status, errorCode, serverMessage, endpoint, ...(hint ? { hint } : {}) });
  }
}

function excerpt(text: string): string {
  const flat = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function describeNetworkError(err: unknown): string {
  // Duck-typed: errors from fetch may come from another realm (e.g. under jest), failing instanceof.
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const cause = e?.cause;
  const detail = cause && (typeof cause.code === 'string' ? cause.code : cause.message);
  return detail ? `${message} (${String(detail)})` : message;
}
