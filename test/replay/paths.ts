import path from 'node:path';

/** Recorded workflow histories, replayed by replay.test.ts beside this file. */
export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');
