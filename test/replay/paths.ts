import path from 'node:path';

/** Recorded workflow histories, replayed by replay.test.ts beside this file. */
export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');
/** Histories of code whose support was removed on purpose (a patch's last stage): they must no longer replay. */
export const RETIRED_DIR = path.join(HISTORIES_DIR, 'retired');
