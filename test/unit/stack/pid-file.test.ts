import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, readPid, readPidPorts, writePid } from '../../../src/stack/processes';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stack-pid-')), 'x.pid');

describe('pid files', () => {
  it('round-trips the pid and the ports it was started on', () => {
    const file = tmpFile();
    writePid(file, 4242, '127.0.0.1:9092,127.0.0.1:9093');
    expect(readPid(file)).toBe(4242);
    expect(readPidPorts(file)).toBe('127.0.0.1:9092,127.0.0.1:9093');
  });

  it('reads an old one-line pid file without ports', () => {
    const file = tmpFile();
    fs.writeFileSync(file, '4242\n');
    expect(readPid(file)).toBe(4242);
    expect(readPidPorts(file)).toBeUndefined();
  });

  it('ignores missing and garbled files', () => {
    const file = tmpFile();
    expect(readPid(file)).toBeUndefined();
    fs.writeFileSync(file, 'not-a-pid\n');
    expect(readPid(file)).toBeUndefined();
  });
});

describe('isAlive', () => {
  it('is true for this process and false for a pid that does not exist', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(999999999)).toBe(false);
  });
});
