import fs from 'node:fs';
import path from 'node:path';
import { readFileIfExists, writeFileDurableSync } from '../../durable-file';
import { temporalConnectionOptions } from '../../adapters/temporal-connection';
import { withFileLock } from '../lock';
import { parseHostPort } from '../ports';
import { runChecked, runLogged, spawnDetached, terminate } from '../processes';
import type { Service, StackContext } from '../service';
import { describeHealthError } from '../service';

const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BUILD_TIMEOUT_MS = 30 * 60 * 1000;

export function temporalService(ctx: StackContext): Service {
  const { config, paths } = ctx;
  const version = config.stack.temporalCliVersion;
  const frontend = parseHostPort(config.temporal.address, 'TEMPORAL_ADDRESS');
  const ui = { host: frontend.host, port: config.temporal.uiPort };
  const binDir = path.join(paths.cacheDir, 'bin');
  const binary = path.join(binDir, 'temporal');
  // `go install` stamps the binary as 0.0.0-DEV, so the tag it was built from is recorded beside it.
  const stamp = `${binary}.version`;
  const dir = paths.serviceDir('temporal');
  const logFile = paths.logFile('temporal');
  const built = () => fs.existsSync(binary) && readFileIfExists(stamp)?.trim() === version;

  return {
    name: 'temporal',
    dependsOn: [],
    ports: [frontend, ui],
    url: `http://${ui.host}:${ui.port}`,
    logFile,
    commandMarker: 'start-dev',

    async provision() {
      fs.mkdirSync(dir, { recursive: true });
      if (built()) return false;
      await runChecked(
        'go',
        ['version'],
        'temporal: Go is needed to build the Temporal CLI (https://go.dev/doc/install)',
      );
      // The cache is shared by clones: only one of them builds, the others wait for its binary.
      await withFileLock(
        path.join(binDir, '.temporal-build.lock'),
        'temporal: CLI build',
        BUILD_TIMEOUT_MS,
        async () => {
          if (built()) return;
          ctx.say(`temporal: building the Temporal CLI ${version} with go install (several minutes, once)`);
          const tmpBin = path.join(binDir, `.build-${process.pid}`);
          fs.rmSync(tmpBin, { recursive: true, force: true });
          await runLogged(
            'go',
            ['install', `${CLI_MODULE}@${version}`],
            'temporal: go install',
            path.join(paths.cacheDir, 'logs', 'go-install.log'),
            {
              env: { ...process.env, GOBIN: tmpBin },
            },
          );
          fs.renameSync(path.join(tmpBin, 'temporal'), binary);
          fs.rmSync(tmpBin, { recursive: true, force: true });
          writeFileDurableSync(stamp, `${version}\n`);
        },
        (owner) => ctx.say(`temporal: waiting for the CLI build already running in pid ${owner}`),
      );
      return true;
    },

    async start() {
      const extraNamespaces =
        config.temporal.namespace === 'default' ? [] : ['--namespace', config.temporal.namespace];
      return spawnDetached({
        command: binary,
        args: [
          'server',
          'start-dev',
          '--ip',
          frontend.host,
          '--port',
          String(frontend.port),
          '--ui-port',
          String(ui.port),
          '--db-filename',
          path.join(dir, 'temporal.db'),
          '--log-level',
          'warn',
          ...extraNamespaces,
        ],
        logFile,
        cwd: dir,
      });
    },

    async stop(pid) {
      await terminate(pid, { group: true });
    },

    async health() {
      const { Connection } = await import('@temporalio/client');
      let connection: Awaited<ReturnType<typeof Connection.connect>> | undefined;
      try {
        connection = await Connection.connect({
          ...temporalConnectionOptions(config.temporal),
          connectTimeout: 2000,
        });
        const r = await connection.healthService.check({});
        // 1 = SERVING in grpc.health.v1
        return r.status === 1
          ? { ok: true }
          : { ok: false, reason: `gRPC health status ${String(r.status)}` };
      } catch (e) {
        return { ok: false, reason: describeHealthError(e) };
      } finally {
        await connection?.close().catch(() => undefined);
      }
    },

    notes: () => [`history: ${path.join(dir, 'temporal.db')}`],
  };
}
