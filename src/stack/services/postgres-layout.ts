import crypto from 'node:crypto';
import path from 'node:path';

/** Fallback home for clusters whose state dir the postgres user cannot reach (e.g. a repo under /root). */
export const SHARED_PG_ROOT = '/var/lib/temporal-mlops';

/**
 * Where the private cluster lives. Inside the state dir when the postgres user can traverse to it,
 * otherwise in a per-clone folder keyed by the state dir's path so two clones never share a cluster.
 */
export function postgresRoot(stateDir: string, postgresCanReachStateDir: boolean): string {
  if (postgresCanReachStateDir) return path.join(stateDir, 'postgres');
  const key = crypto.createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 12);
  return path.join(SHARED_PG_ROOT, key, 'postgres');
}

/** Highest installed major version among /usr/lib/postgresql/<major>/bin folders. */
export function newestPostgresMajor(folderNames: string[]): string | undefined {
  return folderNames
    .filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(b) - Number(a))
    .at(0);
}
