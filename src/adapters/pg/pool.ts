/** PostgreSQL connections from config, and the one transaction helper the ledger uses. */
import { Pool, type PoolClient } from 'pg';
import type { Config } from '../../config';

export function createPool(cfg: Config['postgres'], max = 4): Pool {
  const pool = new Pool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    max,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server must not crash the worker; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn inside BEGIN … COMMIT, rolling back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
