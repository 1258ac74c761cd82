/**
 * Applies the SQL files in migrations/ in name order, each in its own transaction, under a session
 * advisory lock so two workers starting together cannot both migrate. Hand-written rather than
 * node-pg-migrate: plain SQL files need ~60 lines, and node-pg-migrate 9 is ESM-only (jest here runs CommonJS) while this
 * project compiles to CommonJS.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { REPO_ROOT } from '../../config';

export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'migrations');
/** Arbitrary constant shared by every process of this project (pg_advisory_lock takes a bigint). */
const LOCK_KEY = '7305419862301';
const FILE_PATTERN = /^\d{3}_[a-z0-9_]+\.sql$/;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrationResult {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

async function readMigrations(dir: string): Promise<{ name: string; sql: string; sha256: string }[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const bad = names.filter((n) => !FILE_PATTERN.test(n));
  if (bad.length) {
    throw new MigrationError(
      `${dir}: ${bad.join(', ')} not named NNN_lower_snake.sql; rename so the order is explicit`,
    );
  }
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(dir, name), 'utf8');
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export async function migrate(pool: Pool, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = await readMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        sha256 text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ name: string; sha256: string }>(
        'SELECT name, sha256 FROM schema_migrations',
      );
      const done = new Map(rows.map((r) => [r.name, r.sha256]));
      const applied: string[] = [];
      const alreadyApplied: string[] = [];
      for (const f of files) {
        const prior = done.get(f.name);
        if (prior !== undefined) {
          if (prior !== f.sha256) {
            throw new MigrationError(
              `migration ${f.name} changed after it was applied (sha256 ${prior} in the database, ${f.sha256} on disk); ` +
                'restore the file and put the change in a new migration',
            );
          }
          alreadyApplied.push(f.name);
          continue;
        }
        try {
          await client.query('BEGIN');
          await client.query(f.sql);
          await client.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [
            f.name,
            f.sha256,
          ]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new MigrationError(`migration ${f.name} failed and was rolled back: ${(e as Error).message}`);
        }
        applied.push(f.name);
      }
      return { applied, alreadyApplied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
