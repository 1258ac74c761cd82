import fs from 'node:fs';

/** The last `n` lines of a text, without the trailing empty line a final newline leaves. */
export function lastLines(text: string, n: number): string[] {
  if (n <= 0) return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-n);
}

/** Tail of a log file; reads only its end so multi-megabyte logs stay cheap. */
export function readLogTail(file: string, n: number, maxBytes = 256 * 1024): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    return lastLines(buf.toString('utf8'), n);
  } finally {
    fs.closeSync(fd);
  }
}
