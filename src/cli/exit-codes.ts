/**
 * Exit codes scripts can rely on (documented in `--help`):
 *   0 ok · 1 failure · 2 bad usage or input · 3 not ready (stack down, no worker, no champion) · 4 busy
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config';
import { ClientError } from '../client/errors';

export const EXIT = { ok: 0, failure: 1, usage: 2, notReady: 3, busy: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  failure (a workflow failed, a service broke mid-way)
  2  bad usage or input (unknown command, bad argument, unreadable image, bad configuration)
  3  not ready (stack down, no worker polling, no champion yet, schedule missing)
  4  busy (a retrain or bootstrap is already running)`;

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof ClientError) {
    return err.kind === 'bad-input' ? EXIT.usage : err.kind === 'not-ready' ? EXIT.notReady : EXIT.busy;
  }
  if (err instanceof ConfigError) return EXIT.usage;
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.failure;
}
