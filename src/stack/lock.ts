import fs from 'node:fs';
import path from 'node:path';
import { isAlive, readPid } from './processes';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Cross-process lock through an O_EXCL pid file: several clones or engineers may run `stack up`
 * (e.g. via `npm test`) at the same moment. A lock whose owner died is taken over.
 */
export async function withFileLock<T>(
  file: string,
  what: string,
  timeoutMs: number,
  body: () => Promise<T>,
  onWait?: (ownerPid: number) => void,
): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readPid(file);
      if (owner === undefined || !isAlive(owner)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!told) {
        onWait?.(owner);
        told = true;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${what}: still locked by pid ${owner} (${file}) after ${timeoutMs / 1000}s; wait for it or stop it.`,
        );
      }
      await sleep(200);
    }
  }
  try {
    return await body();
  } finally {
    if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
  }
}
