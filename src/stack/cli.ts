/** `npm run stack -- up|down|status|logs|wipe`: the native PostgreSQL, Kafka, Temporal and MLflow stack. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { readLogTail } from './log-tail';
import { down, status, StackError, up, wipe } from './orchestrator';
import { SERVICE_NAMES, stackPaths, type ServiceName } from './paths';
import type { StackContext } from './service';
import { allServices } from './services';
import { servedApp } from './served-app';
import { renderTable } from './table';

function context(): StackContext {
  const config = loadConfig();
  return { config, paths: stackPaths(config), say: (m) => console.log(`[stack] ${m}`) };
}

function serviceName(value: string): ServiceName {
  if (!(SERVICE_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown service "${value}"; choose one of: ${SERVICE_NAMES.join(', ')}.`);
  }
  return value as ServiceName;
}

const program = new Command('stack')
  .description('Native PostgreSQL, Kafka, Temporal and MLflow for temporal-mlops (no Docker).')
  .showHelpAfterError();

program
  .command('up')
  .description('provision (first time) and start every service; waits until all are healthy')
  .action(async () => {
    const ctx = context();
    await up(ctx, allServices(ctx));
  });

program
  .command('down')
  .argument('[service]', `one of ${SERVICE_NAMES.join(', ')}; all when left out`, serviceName)
  .description('stop services (SIGTERM, then SIGKILL after a grace period); data is kept')
  .action(async (service?: ServiceName) => {
    const ctx = context();
    await down(ctx, allServices(ctx), service);
  });

program
  .command('status')
  .description('health, URL and pid of each service; exits 1 when any is down')
  .action(async () => {
    const ctx = context();
    const rows = await status(ctx, allServices(ctx));
    // After the services, not beside them: their checks block the event loop (spawnSync) past a probe's timeout.
    const served = await servedApp(ctx.config);
    console.log(
      renderTable(
        ['SERVICE', 'HEALTH', 'PID', 'URL', 'NOTES'],
        [
          ...rows.map((r) => [
            r.service.name,
            r.healthy ? 'healthy' : 'DOWN',
            r.pid === undefined ? '-' : String(r.pid),
            r.service.url,
            [...(r.reason ? [r.reason] : []), ...(r.service.notes?.() ?? [])].join('; '),
          ]),
          // Not managed by the stack: listed only while `npm run serve` runs.
          ...(served
            ? [
                [
                  'serve',
                  served.ready ? 'ready' : 'no champion',
                  served.pid === undefined ? '-' : String(served.pid),
                  served.url,
                  'web app at /, inference API at /v2 (npm run serve; not started by stack up)',
                ],
              ]
            : []),
        ],
      ),
    );
    if (!served) console.log('web app: not running; start it with `npm run serve`');
    console.log(`logs: ${ctx.paths.logsDir}`);
    const downCount = rows.filter((r) => !r.healthy).length;
    if (downCount) {
      console.log(`${downCount} service(s) down; start them with: npm run stack -- up`);
      process.exitCode = 1;
    }
  });

program
  .command('logs')
  .argument('<service>', SERVICE_NAMES.join(', '), serviceName)
  .option(
    '-n, --lines <n>',
    'how many lines',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number.');
      return n;
    },
    50,
  )
  .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
  .description('print the end of a service log')
  .action(async (service: ServiceName, opts: { lines: number; follow?: boolean }) => {
    const file = context().paths.logFile(service);
    if (!fs.existsSync(file)) {
      throw new StackError(`no log yet for ${service} (${file}); start the stack with: npm run stack -- up`);
    }
    if (!opts.follow) {
      console.log(readLogTail(file, opts.lines).join('\n'));
      return;
    }
    // tail -F follows across truncation and re-creation, which a hand-rolled fs.watch loop gets wrong.
    await new Promise<void>((resolve) => {
      spawn('tail', ['-n', String(opts.lines), '-F', file], { stdio: 'inherit' }).on('exit', () => resolve());
    });
  });

program
  .command('wipe')
  .option('--yes', 'confirm: delete all stack data (databases, topics, workflow history, MLflow runs)')
  .description('stop everything and delete the runtime state; downloads in the cache stay')
  .action(async (opts: { yes?: boolean }) => {
    const ctx = context();
    if (!opts.yes) {
      throw new StackError(
        `wipe deletes ${ctx.paths.stateDir} (all databases, topics, workflow history and MLflow runs).\n` +
          'Run `npm run stack -- wipe --yes` if that is what you want.',
      );
    }
    await wipe(ctx, allServices(ctx));
  });

program
  .parseAsync(process.argv)
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((e: unknown) => {
    if (e instanceof StackError || e instanceof ConfigError) console.error(`[stack] ${e.message}`);
    else console.error(e);
    process.exit(1);
  });
