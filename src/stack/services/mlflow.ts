import fs from 'node:fs';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../atomic-file';
import { endpointOfUrl } from '../ports';
import { runChecked, runLogged, spawnDetached, terminate } from '../processes';
import type { Service, StackContext } from '../service';
import { describeHealthError } from '../service';

/** psycopg2 wheel pinned with MLflow so the venv is keyed by both. */
export const PSYCOPG2_VERSION = '2.9.13';

export function venvRequirements(mlflowVersion: string): string[] {
  return [`mlflow==${mlflowVersion}`, `psycopg2-binary==${PSYCOPG2_VERSION}`];
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

  return {
    name: 'mlflow',
    dependsOn: ['postgres'],
    ports: [endpoint],
    url: config.mlflow.trackingUri,
    logFile,
    commandMarker: 'mlflow',

    async provision() {
      fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
      if (readFileIfExists(stamp)?.trim() === requirements.join(' ')) return false;
      // A venv cannot be moved after creation (absolute shebangs), so it is built in place and only a
      // stamp written last marks it usable; a venv without a matching stamp is rebuilt from scratch.
      fs.rmSync(venv, { recursive: true, force: true });
      await runChecked('python3', ['--version'], 'mlflow: python3 is needed for the MLflow venv');
      ctx.say(`mlflow: installing ${requirements.join(' ')} into ${venv}`);
      const log = path.join(paths.cacheDir, 'logs', 'mlflow-venv.log');
      await runLogged('python3', ['-m', 'venv', venv], 'mlflow: python3 -m venv', log);
      await runLogged(
        path.join(venv, 'bin', 'pip'),
        ['install', '-q', '--disable-pip-version-check', ...requirements],
        'mlflow: pip install',
        log,
      );
      writeFileAtomic(stamp, `${requirements.join(' ')}\n`);
      return true;
    },

    async start() {
      const backend = `postgresql+psycopg2://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${encodeURIComponent(pg.mlflowDatabase)}`;
      return spawnDetached({
        command: path.join(venv, 'bin', 'mlflow'),
        args: [
          'server',
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
        // Through the environment, not argv: the password stays out of `ps` and of the log.
        env: {
          ...process.env,
          MLFLOW_BACKEND_STORE_URI: backend,
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
        return res.ok ? { ok: true } : { ok: false, reason: `GET /health answered ${res.status}` };
      } catch (e) {
        return { ok: false, reason: describeHealthError(e instanceof Error && e.cause ? e.cause : e) };
      }
    },

    notes: () => [
      `artifacts: ${path.join(dir, 'artifacts')}`,
      `backend: postgresql://${pg.user}@${pg.host}:${pg.port}/${pg.mlflowDatabase}`,
    ],
  };
}
