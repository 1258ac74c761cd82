import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from '../../../src/stack/lock';

const tmpLock = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stack-lock-')), 'x.lock');

describe('withFileLock', () => {
  it('runs bodies one after the other and releases the lock', async () => {
    const file = tmpLock();
    const order: string[] = [];
    const body = (name: string) => async () => {
      order.push(`${name}:in`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name}:out`);
    };
    await Promise.all([withFileLock(file, 't', 5000, body('a')), withFileLock(file, 't', 5000, body('b'))]);
    expect(order).toEqual(['a:in', 'a:out', 'b:in', 'b:out']);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('takes over a lock whose owner is dead', async () => {
    const file = tmpLock();
    fs.writeFileSync(file, '999999999\n');
    await expect(withFileLock(file, 't', 1000, async () => 'ran')).resolves.toBe('ran');
  });

  it('names the owner when it times out', async () => {
    const file = tmpLock();
    fs.writeFileSync(file, `${process.ppid}\n`);
    await expect(withFileLock(file, 'stack up', 300, async () => 'ran')).rejects.toThrow(
      new RegExp(`locked by pid ${process.ppid}`),
    );
  });
});
