import net from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

function checkPort(raw: string, what: string): number {
  const port = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`${what}: port "${raw}" is not a number between 1 and 65535; fix the setting and retry.`);
  }
  return port;
}

/** "127.0.0.1:7233" → { host, port }; `what` names the setting in the error. */
export function parseHostPort(value: string, what: string): Endpoint {
  const m = /^([^\s:,]+):([^:]*)$/.exec(value.trim());
  if (!m) throw new Error(`${what}: expected host:port (e.g. 127.0.0.1:7233), got "${value}".`);
  return { host: m[1]!, port: checkPort(m[2]!, what) };
}

/** Host and port an http(s) URL points at, with the scheme's default port when none is given. */
export function endpointOfUrl(value: string, what: string): Endpoint {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what}: "${value}" is not a URL (e.g. http://127.0.0.1:5000).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${what}: expected an http(s) URL, got "${value}".`);
  }
  const port = url.port ? checkPort(url.port, what) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname, port };
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen({ host, port }: Endpoint, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function formatEndpoint({ host, port }: Endpoint): string {
  return `${host}:${port}`;
}
