/** Needs the native stack running (`npm test` starts it with `stack up` before jest). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Client, type ClientConfig } from 'pg';
import { loadConfig } from '../../src/config';
import { MlflowClient } from '../../src/adapters/mlflow';
import { stackPaths, SERVICE_NAMES } from '../../src/stack/paths';
import { commandLineOf, readPid } from '../../src/stack/processes';

const cfg = loadConfig();
const mlflowUrl = cfg.mlflow.trackingUri;

describe('MLflow basic auth on the native stack', () => {
  const search = `${mlflowUrl}/api/2.0/mlflow/experiments/search?max_results=1`;
  const basic = (user: string, pw: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
  });

  it('keeps /health open for probes', async () => {
    expect((await fetch(`${mlflowUrl}/health`)).status).toBe(200);
  });

  it('answers 401 to a request without credentials, API and UI alike', async () => {
    expect((await fetch(search)).status).toBe(401);
    expect((await fetch(`${mlflowUrl}/`)).status).toBe(401);
  });

  it('answers 401 to a wrong password', async () => {
    expect((await fetch(search, { headers: basic(cfg.mlflow.username, 'not-the-password') })).status).toBe(
      401,
    );
  });

  it('accepts the configured credentials through our client', async () => {
    const client = new MlflowClient(cfg.mlflow);
    // A name that cannot exist: a signed-in request gets "not found" (undefined), not 401.
    await expect(client.tracking.getExperimentByName(`no-such-${Date.now()}`)).resolves.toBeUndefined();
    const noAuth = new MlflowClient({ ...cfg.mlflow, username: undefined, password: undefined });
    await expect(noAuth.tracking.getExperimentByName(cfg.mlflow.experiment)).rejects.toMatchObject({
      status: 401,
    });
  });
});

describe('PostgreSQL authentication', () => {
  const pg = cfg.postgres;
  const attempt = async (opts: ClientConfig) => {
    const c = new Client({ connectionTimeoutMillis: 5000, ...opts });
    try {
      await c.connect();
      return (await c.query<{ v: string }>('SELECT current_user AS v')).rows[0]?.v;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  let socketDir: string;

  beforeAll(() => {
    // Our role may not SHOW it; the postmaster was started with it on its command line.
    const pid = readPid(stackPaths(cfg).pidFile('postgres'));
    const m = /unix_socket_directories=(\S+)/.exec(pid === undefined ? '' : commandLineOf(pid));
    if (!m) throw new Error('postgres of this stack is not running; start it with `npm run stack -- up`');
    socketDir = m[1]!;
  });

  it('lets our role in over TCP with its password (the SCRAM verifier the stack set)', async () => {
    await expect(attempt({ ...pg })).resolves.toBe(pg.user);
  });

  it('refuses our role without the right password, over TCP and over the socket', async () => {
    const base = { user: pg.user, database: pg.database, port: pg.port };
    await expect(attempt({ ...base, host: pg.host, password: 'wrong' })).rejects.toThrow(
      /password authentication failed/,
    );
    await expect(attempt({ ...base, host: socketDir, password: 'wrong' })).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('refuses the superuser over TCP whatever the password', async () => {
    await expect(
      attempt({
        host: pg.host,
        port: pg.port,
        user: 'postgres',
        password: pg.password,
        database: 'postgres',
      }),
    ).rejects.toThrow(/pg_hba\.conf rejects connection/);
  });
});

describe('listening sockets of the stack', () => {
  const paths = stackPaths(cfg);
  /** Pids of the stack's processes: each service's leader and its process group (MLflow workers, etc.). */
  function stackPids(): Map<number, string> {
    const leaders = new Map<number, string>();
    for (const s of SERVICE_NAMES) {
      const pid = readPid(paths.pidFile(s));
      if (pid !== undefined && fs.existsSync(`/proc/${pid}`)) leaders.set(pid, s);
    }
    const out = new Map(leaders);
    for (const line of spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' }).stdout.split('\n')) {
      const [pid, pgid] = line.trim().split(/\s+/).map(Number);
      const service = pgid === undefined ? undefined : leaders.get(pgid);
      if (pid && service) out.set(pid, service);
    }
    return out;
  }

  it('are on loopback only: nothing of ours on 0.0.0.0 or [::]', () => {
    const pids = stackPids();
    expect([...new Set(pids.values())].sort()).toEqual([...SERVICE_NAMES].sort());
    const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' });
    expect(ss.status).toBe(0);
    const ours = ss.stdout
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => pids.get(Number(m[1])));
        const service = owners.find(Boolean);
        return service ? [{ service, local: line.trim().split(/\s+/)[3]! }] : [];
      });
    const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/;
    expect(ours.filter((s) => !loopback.test(s.local))).toEqual([]);
    // Every configured port is among them, so the check saw the real listeners.
    const ports = new Set(ours.map((s) => Number(s.local.split(':').at(-1))));
    const wanted = [
      cfg.postgres.port,
      Number(cfg.kafka.brokers[0]!.split(':')[1]),
      cfg.kafka.controllerPort,
      Number(cfg.temporal.address.split(':')[1]),
      cfg.temporal.uiPort,
      Number(new URL(mlflowUrl).port),
    ];
    for (const p of wanted)
      expect({ port: p, listening: ports.has(p) }).toEqual({ port: p, listening: true });
  });
});
