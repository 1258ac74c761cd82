/** The CLI as a script sees it: a child process, its exit code and its stderr. Nothing here needs the stack. */
import { useTempDir } from '../../support/temp-dir';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

function cli(...args: string[]) {
  // An address nothing listens on: a test that got past argument checks would fail with 3, not pass.
  const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/temporal-mlops.js'), ...args], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('temporal-mlops CLI (child process)', () => {
  const dir = useTempDir('cli-');

  it('exits 2 on an unknown command, naming it', () => {
    const r = cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 on a negative --count, naming the option and the range', () => {
    const r = cli('stream', '--count', '-5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--count must be a whole number from 1 to \d+, got "-5"/);
  });

  it('exits 2 on predict with a text file, saying what the file is not', () => {
    const file = path.join(dir(), 'notes.txt');
    fs.writeFileSync(file, 'not a digit\n');
    const r = cli('predict', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is neither a PNG nor an MNIST IDX images file');
  });

  it('exits 2 on predict with a missing file', () => {
    const r = cli('predict', path.join(dir(), 'missing.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
  });

  it('exits 2 on an unknown schedule target before connecting', () => {
    const r = cli('schedule', 'pause', 'nightly');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown schedule "nightly"');
  });

  it('exits 2 on bad configuration, naming the variable', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/temporal-mlops.js'), 'stream'], {
      cwd: REPO_ROOT,
      env: { ...process.env, STREAM_BATCH_SIZE: 'lots' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('STREAM_BATCH_SIZE');
  });

  it('exits 3 when Temporal does not answer', () => {
    const r = cli('retrain');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Temporal does not answer at 127.0.0.1:1');
  });

  it('prints help with the exit codes and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toMatch(/predict \[options\] <file>/);
    expect(r.stdout).toMatch(/schedule/);
  });
});
