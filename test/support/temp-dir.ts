import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh folder for the suite, removed after it: call at describe level, read the path inside tests. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => fs.rmSync(dir!, { recursive: true, force: true }));
  return () => dir!;
}
