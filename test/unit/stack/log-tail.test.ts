import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastLines, readLogTail } from '../../../src/stack/log-tail';

describe('lastLines', () => {
  it('ignores the empty line after a final newline', () => {
    expect(lastLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
  });
  it('returns everything when there are fewer lines', () => {
    expect(lastLines('a\nb', 10)).toEqual(['a', 'b']);
  });
  it('returns nothing for n <= 0', () => {
    expect(lastLines('a\nb', 0)).toEqual([]);
  });
});

describe('readLogTail', () => {
  it('reads only the end of a large file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stack-log-')), 'x.log');
    fs.writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(readLogTail(file, 3, 100)).toEqual(['line 4997', 'line 4998', 'line 4999']);
  });
  it('is empty for a missing file', () => {
    expect(readLogTail('/nonexistent/stack.log', 5)).toEqual([]);
  });
});
