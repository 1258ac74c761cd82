import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readFileIfExists, writeFileDurableSync } from '../../durable-file';
import { endpointOfUrl } from '../ports';
import { runChecked, runLogged, spawnDetached, terminate } from '../processes';
import type { Config } from '../../config';
import type { Service, StackContext } from '../service';
import { describeHealthError } from '../service';

/** psycopg2 wheel pinned with MLflow so the venv is keyed by both. */
export const PSYCOPG2_VERSION = '2.9.13';

export function venvRequirements(mlflowVersion: string): string[] {
  // The [auth] extra brings Flask-WTF, which `--app-name basic-auth` needs.
  return [`mlflow[auth]==${mlflowVersion}`, `psycopg2-binary==${PSYCOPG2_VERSION}`];
}

/**
 * Least privilege for users an admin adds later: nothing until granted. Our own user is the admin.
 * Holds no secret: the auth database password comes from PGPASSWORD (libpq) and the admin's password
 * from MLFLOW_AUTH_ADMIN_PASSWORD, both in the server's environment only.
 */
export function basicAuthIni(pg: Config['postgres']): string {
  const db = `postgresql+psycopg2://${encodeURIComponent(pg.user)}@${pg.host}:${pg.port}/${encodeURIComponent(pg.mlflowAuthDatabase)}`;
  return [
    '[mlflow]',
    'default_permission = NO_PERMISSIONS',
    // configparser would read a % in the URI as interpolation
    `database_uri = ${db.replace(/%/g, '%%')}`,
    'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
    'grant_default_workspace_access = false',
    // Every request checks the password with scrypt (~80 ms here, ~200 ms a request under load): a cycle
    // makes ~15. MLflow's own cache (HMAC-keyed, per worker process) skips the check for a credential
    // seen in the last 300 s (a password change reaches the other worker within that time): every request
    // of a cycle but the first on each worker.
    'auth_cache_ttl_seconds = 300',
    '',
  ].join('\n');
}

/** Host headers the server accepts: the loopback names of its own port only. */
export function allowedHosts(host: string, port: number): string {
  return [...new Set([host, '127.0.0.1', 'localhost'])].flatMap((h) => [h, `${h}:${port}`]).join(',');
}

export function mlflowService(ctx: StackContext): Service {
  const { config, paths } = ctx;
  const endpoint = endpointOfUrl(config.mlflow.trackingUri, 'MLFLOW_TRACKING_URI');
  const venv = path.join(paths.cacheDir, 'venv');
  const stamp = path.join(venv, '.temporal-mlops-requirements');
  const requirements = venvRequirements(config.stack.mlflowVersion);
  const dir = paths.serviceDir('mlflow');
  const logFile = paths.logFile('mlflow');
  const pg = config.postgres;
  const { username, password } = config.mlflow;
  const authIni = path.join(dir, 'basic_auth.ini');
  const flaskSecretFile = path.join(dir, 'flask-secret');
  const pipInstall = (log: string) =>
    runLogged(
      path.join(venv, 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', ...requirements],
      'mlflow: pip install',
      log,
    );

  return {
    name: 'mlflow',
    dependsOn: ['postgres'],
    ports: [endpoint],
    url: config.mlflow.trackingUri,
    logFile,
    commandMarker: 'mlflow',

    async provision() {
      fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
      writeFileDurableSync(authIni, basicAuthIni(pg));
      // CSRF key of the auth app: the same for every worker and across restarts, private to root.
      if (!fs.existsSync(flaskSecretFile)) {
        writeFileDurableSync(flaskSecretFile, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
      }
      if (readFileIfExists(stamp)?.trim() === requirements.join(' ')) return false;
      await runChecked('python3', ['--version'], 'mlflow: python3 is needed for the MLflow venv');
      ctx.say(`mlflow: installing ${requirements.join(' ')} into ${venv}`);
      const log = path.join(paths.cacheDir, 'logs', 'mlflow-venv.log');
      // A venv cannot be moved after creation (absolute shebangs), so it is built in place and only a
      // stamp written last marks it usable. An existing one is first updated in place (quick when the
      // requirements only grew, e.g. an extra); if that fails it is rebuilt from scratch.
      const updated =
        fs.existsSync(path.join(venv, 'bin', 'pip')) &&
        (await pipInstall(log).then(
          () => true,
          () => false,
        ));
      if (!updated) {
        fs.rmSync(venv, { recursive: true, force: true });
        await runLogged('python3', ['-m', 'venv', venv], 'mlflow: python3 -m venv', log);
        await pipInstall(log);
      }
      writeFileDurableSync(stamp, `${requirements.join(' ')}\n`);
      return true;
    },

    async start() {
      const backend = `postgresql+psycopg2://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${encodeURIComponent(pg.mlflowDatabase)}`;
      return spawnDetached({
        command: path.join(venv, 'bin', 'mlflow'),
        args: [
          'server',
          '--app-name',
          'basic-auth',
          '--host',
          endpoint.host,
          '--port',
          String(endpoint.port),
          '--workers',
          '2',
          '--serve-artifacts',
          '--artifacts-destination',
          path.join(dir, 'artifacts'),
          '--allowed-hosts',
          allowedHosts(endpoint.host, endpoint.port),
        ],
        // Through the environment, not argv: the passwords stay out of `ps` and of the log.
        env: {
          ...process.env,
          MLFLOW_BACKEND_STORE_URI: backend,
          MLFLOW_AUTH_CONFIG_PATH: authIni,
          // Used only when the auth database has no such user yet (first start).
          MLFLOW_AUTH_ADMIN_USERNAME: username,
          MLFLOW_AUTH_ADMIN_PASSWORD: password,
          MLFLOW_FLASK_SERVER_SECRET_KEY: fs.readFileSync(flaskSecretFile, 'utf8').trim(),
          // libpq's own variable: lets the auth database URI in basic_auth.ini carry no password.
          PGPASSWORD: pg.password,
          // The job runner (seven huey consumers) serves GenAI features we do not use; on a 2-core
          // machine it costs startup time and memory for nothing.
          MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
        },
        logFile,
        cwd: dir,
      });
    },

    async stop(pid) {
      await terminate(pid, { group: true });
    },

    async health() {
      try {
        const res = await fetch(`${config.mlflow.trackingUri}/health`, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) return { ok: false, reason: `GET /health answered ${res.status}` };
        // /health is open; a signed-in call proves the credentials every client uses are accepted.
        const me = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow/users/current`, {
          headers: { authorization: basicAuthorization(username, password) },
          signal: AbortSignal.timeout(5000),
        });
        if (me.status === 401) {
          return {
            ok: false,
            reason:
              `MLflow rejects MLFLOW_TRACKING_USERNAME=${username} and its password (401). ` +
              `The admin is created only on first start: set the password it was created with, change it via ` +
              `PATCH /api/2.0/mlflow/users/update-password, or drop the ${pg.mlflowAuthDatabase} database and restart mlflow`,
          };
        }
        if (me.status === 404) {
          return {
            ok: false,
            reason: 'MLflow runs without --app-name basic-auth; restart it: stack down mlflow && stack up',
          };
        }
        return me.ok
          ? { ok: true }
          : { ok: false, reason: `GET /api/2.0/mlflow/users/current answered ${me.status}` };
      } catch (e) {
        return { ok: false, reason: describeHealthError(e instanceof Error && e.cause ? e.cause : e) };
      }
    },

    notes: () => [
      `artifacts: ${path.join(dir, 'artifacts')}`,
      `backend: postgresql://${pg.user}@${pg.host}:${pg.port}/${pg.mlflowDatabase}`,
      `basic auth: user ${username}, users in ${pg.mlflowAuthDatabase}`,
    ],
  };
}

function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
