import { execFile } from 'node:child_process';

/** HEAD of the checkout at `cwd`, or "unknown" outside a git checkout or without git installed. */
export function gitCommit(cwd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 }, (err, stdout) => {
      const sha = stdout?.trim();
      resolve(!err && /^[0-9a-f]{40,64}$/.test(sha) ? sha : 'unknown');
    });
  });
}
