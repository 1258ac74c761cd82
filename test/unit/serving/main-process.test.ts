/** `npm run serve` as a script sees it, where nothing needs the stack: clear errors and exit codes. */
import { useTempDir } from '../../support/temp-dir';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

function serve(env: Record<string, string>) {
  const r = spawnSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'src/serve/main.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, stderr: r.stderr };
}

describe('npm run serve (child process)', () => {
  const dir = useTempDir('serve-main-');

  it('exits 3 without a champion, naming the commands that make one', () => {
    const r = serve({ MODELS_DIR: dir() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No champion in .*serve-main-.*npm run demo.*npm run cli -- bootstrap/);
  });

  it('exits 2 on a bad setting, naming it', () => {
    const r = serve({ MODELS_DIR: dir(), SERVE_MAX_BATCH: '0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SERVE_MAX_BATCH="0"');
  });
});
