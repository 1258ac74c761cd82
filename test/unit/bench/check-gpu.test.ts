/**
 * `npm run check:gpu` on a machine without a usable NVIDIA GPU: a clear message and exit code 3 before
 * anything is provisioned. PATH holds only a scratch folder, so the script sees exactly the nvidia-smi the
 * test puts there (none, a failing one, an empty one, an old driver), on any host.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'check-gpu.sh');
const which = (tool: string) =>
  spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
const BASH = which('bash');
let bin: string;

/** Puts the host's `tool` into the scratch PATH. */
const provide = (tool: string) => fs.symlinkSync(which(tool), path.join(bin, tool));

beforeEach(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), 'check-gpu-'));
  // The external tools the script uses up to and including its GPU check.
  for (const tool of ['dirname', 'head', 'cut', 'tr']) provide(tool);
});
afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

function fakeNvidiaSmi(body: string): void {
  fs.writeFileSync(path.join(bin, 'nvidia-smi'), `#!${BASH}\n${body}\n`, { mode: 0o755 });
}

function checkGpu() {
  const r = spawnSync(BASH, [SCRIPT], { env: { PATH: bin, HOME: os.tmpdir() }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

it('stops with exit 3 when nvidia-smi is missing', () => {
  const r = checkGpu();
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/no usable NVIDIA GPU: nvidia-smi is not on PATH/);
  expect(r.stderr).toMatch(/Nothing was downloaded or changed/);
});

it('stops with exit 3 when nvidia-smi cannot reach a driver', () => {
  fakeNvidiaSmi(
    'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
  );
  const r = checkGpu();
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate/);
});

it('stops with exit 3 when nvidia-smi lists no GPU', () => {
  fakeNvidiaSmi('exit 0');
  const r = checkGpu();
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/nvidia-smi lists no GPU/);
});

it('stops with exit 3 when the driver is too old for CUDA 12.2', () => {
  fakeNvidiaSmi("echo 'Tesla T4, 470.182.03, 15360 MiB'");
  const r = checkGpu();
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/driver 470\.182\.03 is older than 525/);
  expect(r.stderr).not.toMatch(/\[tensorflow\]|\[setup\]/);
});
