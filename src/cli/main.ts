/**
 * temporal-mlops CLI: `npm run cli -- <command>` or `bin/temporal-mlops.js <command>`.
 * Arguments are checked before anything connects, so bad usage fails fast with exit code 2.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, type Config } from '../config';
import { MlopsClient } from '../client';
import { loadDigitImage } from '../client/digit-image';
import { MAX_STREAM_COUNT, type RunOptions } from '../client/runs';
import { connect } from '../client/connection';
import { parseScheduleTarget } from '../client/schedules';
import { pipelineStatus } from '../client/status';
import { predictDigit } from '../client/predict';
import { wholeNumber, isoDate } from './args';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes';
import { bootstrapReport, retrainReport, schedulesTable, statusReport, streamReport, pct } from './format';
import { progressView } from './progress-view';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const SCHEDULE_TARGET = '<target>';
const TARGET_HELP = 'stream, retrain, lag-trigger or all';

/** Connects, runs `fn`, always closes. */
async function withClient<T>(cfg: Config, fn: (c: MlopsClient) => Promise<T>): Promise<T> {
  const client = await MlopsClient.connect(cfg);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Progress on stderr, so stdout carries only the result and pipes stay clean. */
async function withProgress<T>(label: string, fn: (opts: RunOptions) => Promise<T>): Promise<T> {
  const view = progressView(label);
  try {
    return await fn({ onProgress: (p) => view.update(p) });
  } finally {
    view.stop();
  }
}

export function buildProgram(io: CliIo): Command {
  let cached: Config | undefined;
  const config = () => (cached ??= loadConfig(io.env));
  const program = new Command('temporal-mlops')
    .description('Continuous training of an MNIST CNN on Temporal, Kafka, MLflow and PostgreSQL.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')) });

  program
    .command('bootstrap')
    .description('train and promote the first champion (reports the existing one unless --force)')
    .option('--force', 'train a new champion even if one exists', false)
    .option('--epochs <n>', 'epochs instead of EPOCHS', wholeNumber('--epochs', 1, 1000))
    .action(async (o: { force: boolean; epochs?: number }) => {
      const cfg = config();
      const f = await withClient(cfg, (c) =>
        withProgress('bootstrap', (opts) =>
          c.bootstrap({ force: o.force, ...(o.epochs ? { epochs: o.epochs } : {}) }, opts),
        ),
      );
      io.out(bootstrapReport(cfg, f));
    });

  program
    .command('stream')
    .description(
      'publish the next samples of the stream split to Kafka (may start a retrain at the lag threshold)',
    )
    .option(
      '--count <n>',
      'samples to publish (default STREAM_BATCH_SIZE)',
      wholeNumber('--count', 1, MAX_STREAM_COUNT),
    )
    .option('--replay', 'publish samples again that were published before', false)
    .action(async (o: { count?: number; replay: boolean }) => {
      const cfg = config();
      const count = o.count ?? cfg.schedules.streamBatchSize;
      const f = await withClient(cfg, (c) =>
        withProgress('stream', (opts) => c.stream(count, { replay: o.replay, ...opts })),
      );
      io.out(streamReport(cfg, f));
    });

  program
    .command('retrain')
    .description('run one retrain cycle now: take a batch, fine-tune a challenger, promote it if it wins')
    .option(
      '--min-records <n>',
      'records the batch needs (default RETRAIN_MIN_RECORDS)',
      wholeNumber('--min-records', 1, 1_000_000),
    )
    .action(async (o: { minRecords?: number }) => {
      const cfg = config();
      const input = o.minRecords
        ? { minRecords: o.minRecords, maxRecords: Math.max(o.minRecords, cfg.stream.retrainMaxRecords) }
        : {};
      const f = await withClient(cfg, (c) => withProgress('retrain', (opts) => c.retrain(input, opts)));
      io.out(retrainReport(cfg, f));
    });

  const schedule = program
    .command('schedule')
    .description(`manage the Temporal Schedules (${TARGET_HELP})`)
    .addHelpText('after', '\nIntervals come from STREAM_INTERVAL, RETRAIN_INTERVAL and LAG_CHECK_INTERVAL.');
  const onSchedules = (
    name: string,
    description: string,
    fn: (c: MlopsClient, target: string) => Promise<string>,
  ) =>
    schedule
      .command(`${name} ${SCHEDULE_TARGET}`)
      .description(`${description} (${TARGET_HELP})`)
      .action(async (target: string) => {
        parseScheduleTarget(target); // refused before connecting
        io.out(await withClient(config(), (c) => fn(c, target)));
      });
  onSchedules('create', 'create the schedule, or update it to the settings (idempotent)', async (c, t) =>
    (await c.schedules.ensure(t)).map((r) => `${r.name}: ${r.outcome}`).join('\n'),
  );
  onSchedules('pause', 'pause the schedule', async (c, t) =>
    (await c.schedules.pause(t)).map((n) => `${n}: paused`).join('\n'),
  );
  onSchedules('unpause', 'resume the schedule', async (c, t) =>
    (await c.schedules.unpause(t)).map((n) => `${n}: unpaused`).join('\n'),
  );
  onSchedules('trigger', 'run the schedule action now', async (c, t) =>
    (await c.schedules.trigger(t)).map((n) => `${n}: triggered`).join('\n'),
  );
  onSchedules('delete', 'delete the schedule', async (c, t) =>
    (await c.schedules.delete(t))
      .map((r) => `${r.name}: ${r.deleted ? 'deleted' : 'absent already'}`)
      .join('\n'),
  );
  onSchedules('describe', 'show state, interval and runs', async (c, t) =>
    schedulesTable(await c.schedules.describe(t)),
  );
  schedule
    .command(`backfill ${SCHEDULE_TARGET}`)
    .description(`run now the actions the schedule would have taken between --from and --to (${TARGET_HELP})`)
    .addOption(
      new Option('--from <date>', 'start, ISO 8601').argParser(isoDate('--from')).makeOptionMandatory(),
    )
    .addOption(new Option('--to <date>', 'end, ISO 8601').argParser(isoDate('--to')).makeOptionMandatory())
    .action(async (target: string, o: { from: Date; to: Date }) => {
      parseScheduleTarget(target);
      const names = await withClient(config(), (c) => c.schedules.backfill(target, o.from, o.to));
      io.out(
        names.map((n) => `${n}: backfilled ${o.from.toISOString()} .. ${o.to.toISOString()}`).join('\n'),
      );
    });

  program
    .command('status')
    .description(
      'champion and its metrics, consumer lag, last retrain cycles, schedule states (exit 3 if a part is unavailable)',
    )
    .option('--cycles <n>', 'retrain cycles to show', wholeNumber('--cycles', 1, 100), 5)
    .action(async (o: { cycles: number }) => {
      const cfg = config();
      // Status must work with Temporal down: it is how one finds out what is down.
      const conn = await connect(cfg).catch(() => undefined);
      try {
        const s = await pipelineStatus(cfg, conn?.client, { cycles: o.cycles });
        io.out(statusReport(s));
        if (!s.champion.ok || !s.lag.ok || !s.cycles.ok || !s.schedules.ok) process.exitCode = EXIT.notReady;
      } finally {
        await conn?.close();
      }
    });

  program
    .command('predict <file>')
    .description('classify a 28×28 digit with the champion: an MNIST IDX images file (raw or .gz) or a PNG')
    .option('--index <i>', 'image of an IDX file to classify', wholeNumber('--index', 0, 10_000_000), 0)
    .action(async (file: string, o: { index: number }) => {
      const image = await loadDigitImage(file, o.index);
      const p = await predictDigit(config(), image);
      io.out(
        [
          `${image.source}: digit ${p.digit} (champion ${p.championVersionId})`,
          ...p.probabilities.map((q, d) => `  ${d}  ${pct(q).padStart(7)}${d === p.digit ? '  <' : ''}`),
        ].join('\n'),
      );
    });

  return program;
}

/** Runs the CLI and returns its exit code; errors are printed, never thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    // Commander has printed its own usage errors already.
    if (!(err instanceof CommanderError))
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return exitCodeFor(err);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (t) => console.log(t), env: process.env }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.failure);
    },
  );
}
