/** A stand-in MLflow server on 127.0.0.1:<random port> that records requests and answers from a script. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MlflowClient } from '../../../src/adapters/mlflow/client';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  bytes?: Uint8Array;
  delayMs?: number;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export class FakeMlflow {
  readonly requests: RecordedRequest[] = [];
  handler: Handler = () => ({ json: {} });
  private server = http.createServer((req, res) => void this.serve(req, res));
  private timers = new Set<NodeJS.Timeout>();
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests whose "METHOD /path" ends with the suffix. */
  calls(suffix: string): RecordedRequest[] {
    return this.requests.filter((r) => `${r.method} ${r.path}`.endsWith(suffix));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body,
      json: () => JSON.parse(body.toString('utf8')),
    };
    this.requests.push(recorded);
    const reply = await this.handler(recorded);
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, reply.delayMs);
        this.timers.add(t);
      });
    }
    if (res.destroyed) return;
    res.statusCode = reply.status ?? 200;
    if (reply.json !== undefined) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply.json));
    } else if (reply.bytes !== undefined) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(Buffer.from(reply.bytes));
    } else {
      res.end(reply.text ?? '');
    }
  }
}

export const mlflowError = (status: number, errorCode: string, message: string): Reply => ({
  status,
  json: { error_code: errorCode, message },
});

/** For a describe block: a fresh fake server and a client of it in each test, the server stopped after. */
export function useFakeMlflow(): { readonly fake: FakeMlflow; readonly client: MlflowClient } {
  const current = {} as { fake: FakeMlflow; client: MlflowClient };
  beforeEach(async () => {
    current.fake = await new FakeMlflow().start();
    current.client = new MlflowClient({ trackingUri: current.fake.url, requestTimeoutMs: 5000 });
  });
  afterEach(() => current.fake.stop());
  return current;
}
