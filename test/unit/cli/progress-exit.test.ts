import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

describe('resultWithProgress in a process of its own', () => {
  it('keeps the process alive until the result is delivered', () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(__dirname, 'fixtures/follow-fake-handle.ts'),
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('result trained after 1 update(s)\n');
  });
});
