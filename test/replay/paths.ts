import path from 'node:path';

/** Recorded workflow histories, replayed by test/unit/workflows/replay.test.ts. */
export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');
