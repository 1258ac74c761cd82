import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Service, StackContext } from '../service';
import { describeHealthError } from '../service';
import { runChecked, spawnDetached, terminate } from '../processes';
import { writeAuthFiles } from './postgres-hba';
import { newestPostgresMajor, postgresRoot } from './postgres-layout';
import { scramVerifier } from './postgres-password';

const PG_LIB = '/usr/lib/postgresql';

function postgresAccount(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new Error(
      'postgres: no "postgres" system user; install the Debian package: apt-get install -y postgresql',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function findBinDir(): string | undefined {
  const majors = fs.existsSync(PG_LIB) ? fs.readdirSync(PG_LIB) : [];
  const usable = majors.filter((m) => fs.existsSync(path.join(PG_LIB, m, 'bin', 'initdb')));
  const major = newestPostgresMajor(usable);
  return major && path.join(PG_LIB, major, 'bin');
}

async function installPostgres(say: (m: string) => void): Promise<void> {
  if (os.userInfo().uid !== 0) {
    throw new Error(
      'postgres: PostgreSQL is not installed and we are not root; run: sudo apt-get install -y postgresql',
    );
  }
  say('postgres: installing the Debian postgresql package (apt-get)');
  // Our cluster is private; keep the package from creating and starting its own on port 5432.
  const createCluster = '/etc/postgresql-common/createcluster.conf';
  if (!fs.existsSync(createCluster)) {
    fs.mkdirSync(path.dirname(createCluster), { recursive: true });
    fs.writeFileSync(createCluster, 'create_main_cluster = false\n');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runChecked('apt-get', ['update', '-q'], 'postgres: apt-get update', { env });
  await runChecked('apt-get', ['install', '-y', '-q', 'postgresql'], 'postgres: apt-get install postgresql', {
    env,
  });
}

export function postgresService(ctx: StackContext): Service {
  const { config, paths } = ctx;
  const pg = config.postgres;
  const logFile = paths.logFile('postgres');

  let cachedRoot: string | undefined;
  const root = (): string => {
    if (cachedRoot) return cachedRoot;
    fs.mkdirSync(paths.stateDir, { recursive: true });
    const reach = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', paths.stateDir]);
    cachedRoot = postgresRoot(paths.stateDir, reach.status === 0);
    return cachedRoot;
  };
  const dataDir = () => path.join(root(), 'data');
  const socketDir = () => path.join(root(), 'run');
  const binDir = (): string => {
    const dir = findBinDir();
    if (!dir)
      throw new Error(`postgres: no initdb under ${PG_LIB}/*/bin; run: apt-get install -y postgresql`);
    return dir;
  };
  const asPostgres = (cmd: string, args: string[], what: string) =>
    runChecked('runuser', ['-u', 'postgres', '--', path.join(binDir(), cmd), ...args], what, {
      cwd: '/',
    });

  const adminClient = async () => {
    const { Client } = await import('pg');
    // Peer auth: pg_hba maps the OS user running the stack to the superuser, on the socket only.
    const client = new Client({ host: socketDir(), port: pg.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };

  return {
    name: 'postgres',
    dependsOn: [],
    ports: [{ host: pg.host, port: pg.port }],
    url: `postgresql://${pg.user}@${pg.host}:${pg.port}/${pg.database}`,
    logFile,
    commandMarker: 'postgres',

    async provision() {
      let worked = false;
      if (!findBinDir()) {
        await installPostgres(ctx.say);
        worked = true;
      }
      const { uid, gid } = postgresAccount();
      const data = dataDir();
      if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
        worked = true;
        fs.mkdirSync(root(), { recursive: true });
        fs.chownSync(root(), uid, gid);
        // initdb into a side folder and rename: a cluster interrupted mid-initdb is never picked up.
        const partial = `${data}.partial`;
        fs.rmSync(partial, { recursive: true, force: true });
        await asPostgres(
          'initdb',
          [
            '-D',
            partial,
            '-U',
            'postgres',
            '-E',
            'UTF8',
            '--no-locale',
            '--auth-local=peer',
            '--auth-host=scram-sha-256',
          ],
          'postgres: initdb',
        );
        fs.renameSync(partial, data);
      }
      writeAuthFiles(data, os.userInfo().username, { uid, gid });
      fs.mkdirSync(socketDir(), { recursive: true, mode: 0o700 });
      fs.chownSync(socketDir(), uid, gid);
      fs.chmodSync(socketDir(), 0o700);
      return worked;
    },

    async start() {
      const { uid, gid } = postgresAccount();
      // The postmaster runs in the foreground under our own detached spawn (not `pg_ctl start`) so its
      // log is opened by root: the postgres user may be unable to reach the state dir.
      return spawnDetached({
        command: path.join(binDir(), 'postgres'),
        args: [
          '-D',
          dataDir(),
          '-c',
          `listen_addresses=${pg.host}`,
          '-c',
          `port=${pg.port}`,
          '-c',
          `unix_socket_directories=${socketDir()}`,
          '-c',
          'max_connections=200',
        ],
        logFile,
        cwd: '/',
        uid,
        gid,
      });
    },

    async stop(pid) {
      try {
        await asPostgres(
          'pg_ctl',
          ['stop', '-D', dataDir(), '-m', 'fast', '-w', '-t', '60'],
          'postgres: pg_ctl stop',
        );
      } catch {
        await terminate(pid, { group: false });
      }
    },

    async converge() {
      const client = await adminClient();
      try {
        // Also brings a cluster started under older rules in line, without a restart.
        if (writeAuthFiles(dataDir(), os.userInfo().username, postgresAccount())) {
          await client.query('SELECT pg_reload_conf()');
        }
        const user = client.escapeIdentifier(pg.user);
        const password = client.escapeLiteral(scramVerifier(pg.password));
        const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pg.user]);
        // ALTER on every run keeps the password in step with POSTGRES_PASSWORD.
        await client.query(`${role.rowCount ? 'ALTER' : 'CREATE'} ROLE ${user} LOGIN PASSWORD ${password}`);
        for (const db of [pg.database, pg.mlflowDatabase, pg.mlflowAuthDatabase]) {
          const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
          if (!exists.rowCount)
            await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)} OWNER ${user}`);
        }
      } finally {
        await client.end();
      }
    },

    async health() {
      const { Client } = await import('pg');
      const client = new Client({ ...pg, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        // The last databases converge creates: once they exist, the roles and auth rules are in place too.
        const wanted = [pg.mlflowDatabase, pg.mlflowAuthDatabase];
        const r = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname = ANY($1)',
          [wanted],
        );
        const missing = wanted.filter((d) => !r.rows.some((row) => row.datname === d));
        return missing.length
          ? { ok: false, reason: `database ${missing.join(', ')} missing` }
          : { ok: true };
      } catch (e) {
        return { ok: false, reason: describeHealthError(e) };
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    notes: () => [`data: ${dataDir()}`],
    externalData: () => (root().startsWith(paths.stateDir + path.sep) ? [] : [path.dirname(root())]),
  };
}
