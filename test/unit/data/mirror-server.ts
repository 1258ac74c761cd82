/** A local HTTP mirror for the downloader tests: honours Range, and can misbehave on purpose. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * ok: serves the file (206 for a Range request); ignore-range: always the whole file with 200;
 * cut-once: the first request sends half the file and drops the connection; stall-once: the first request
 * sends half and then goes silent; missing: 404.
 */
export type Behaviour = 'ok' | 'ignore-range' | 'cut-once' | 'stall-once' | 'missing';

export interface Route {
  readonly behaviour: Behaviour;
  readonly body: Buffer;
}

export interface Hit {
  readonly url: string;
  readonly range: string | undefined;
}

export interface MirrorServer {
  readonly base: string;
  readonly hits: Hit[];
  route(path: string, route: Route): void;
  close(): Promise<void>;
}

export async function startMirror(): Promise<MirrorServer> {
  const routes = new Map<string, Route>();
  const hits: Hit[] = [];
  const misbehaved = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits.push({ url, range: req.headers.range });
    const route = routes.get(url);
    if (!route || route.behaviour === 'missing') {
      res.writeHead(404).end('not here');
      return;
    }
    const { body } = route;
    const once = route.behaviour === 'cut-once' || route.behaviour === 'stall-once';
    if (once && !misbehaved.has(url)) {
      misbehaved.add(url);
      res.writeHead(200, { 'Content-Length': body.length });
      const half = body.subarray(0, Math.floor(body.length / 2));
      res.write(half, () => {
        if (route.behaviour === 'cut-once') res.socket?.destroy();
      });
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && route.behaviour !== 'ignore-range') {
      const start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Length': body.length - start,
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    route: (p, r) => routes.set(p, r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
