/** `stack status` finds the inference server only when this project's server answers on SERVE_PORT. */
import Fastify from 'fastify';
import { loadConfig } from '../../../src/config';
import { servedApp } from '../../../src/stack/served-app';

async function listening(name: string, ready: boolean) {
  const app = Fastify();
  app.get('/v2', async () => ({ name, version: '0.1.0', extensions: [] }));
  app.get('/v2/health/ready', async (_req, reply) => reply.code(ready ? 200 : 400).send({ ready }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    app,
    cfg: loadConfig({ ...process.env, SERVE_HOST: '127.0.0.1', SERVE_PORT: String(port) }),
    port,
  };
}

describe('servedApp', () => {
  it('lists a running server with its web address, readiness and pid', async () => {
    const { app, cfg, port } = await listening('temporal-mlops', true);
    try {
      const s = await servedApp(cfg);
      expect(s).toMatchObject({ url: `http://127.0.0.1:${port}/`, ready: true });
      // ss names the listener when it can (it is this very process).
      if (s?.pid !== undefined) expect(s.pid).toBe(process.pid);
    } finally {
      await app.close();
    }
  });

  it('tells a server without a champion apart', async () => {
    const { app, cfg } = await listening('temporal-mlops', false);
    try {
      expect(await servedApp(cfg)).toMatchObject({ ready: false });
    } finally {
      await app.close();
    }
  });

  it('ignores another program on the port and a closed port', async () => {
    const other = await listening('someone-else', true);
    try {
      expect(await servedApp(other.cfg)).toBeUndefined();
    } finally {
      await other.app.close();
    }
    expect(await servedApp(other.cfg)).toBeUndefined();
  });
});
