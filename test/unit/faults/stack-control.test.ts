import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { StackControlError, SuiteStack } from '../../../test/faults/stack-control';

describe('the fault suite stack control', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'faults-stack-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const stack = new SuiteStack(loadConfig({ ...process.env, STACK_STATE_DIR: stateDir }), () => undefined);

  it.each(['crash', 'stop'] as const)('refuses to %s a service it has no live pid for', async (how) => {
    const attempt = how === 'crash' ? stack.crash('kafka') : stack.stop('kafka');
    await expect(attempt).rejects.toThrow(StackControlError);
    await expect(attempt).rejects.toThrow(/kafka: no live pid in .*kafka\.pid; nothing to stop/);
  });
});
