import { CommanderError } from 'commander';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes';
import { badInput, busy, notReady } from '../../../src/client/errors';
import { ConfigError } from '../../../src/config';

describe('exitCodeFor', () => {
  it('maps each kind of problem to its documented code', () => {
    expect(exitCodeFor(badInput('x'))).toBe(EXIT.usage);
    expect(exitCodeFor(notReady('x'))).toBe(EXIT.notReady);
    expect(exitCodeFor(busy('x'))).toBe(EXIT.busy);
    expect(exitCodeFor(new ConfigError(['X=1: bad']))).toBe(EXIT.usage);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownCommand', 'unknown'))).toBe(EXIT.usage);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(help)'))).toBe(EXIT.ok);
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT.failure);
  });

  it('keeps the codes scripts rely on', () => {
    expect(EXIT).toEqual({ ok: 0, failure: 1, usage: 2, notReady: 3, busy: 4 });
  });
});
