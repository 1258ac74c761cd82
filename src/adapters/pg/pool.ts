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
    // A connection whose packets are dropped (a network partition) answers nothing, ever: without a
    // read timeout the query, and the activity holding it, would wait forever (fault suite, blackhole).
    query_timeout: cfg.queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client losing its server must not crash the worker; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn inside BEGIN … COMMIT, rolling back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    failure = e as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    // Released with the error, the pool closes the connection: after a timed-out query it may still be
    // waiting on the server, and a later transaction must not queue behind it.
    client.release(failure);
  }
}
