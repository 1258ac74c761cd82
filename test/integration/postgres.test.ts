import { Client } from 'pg';
import { loadConfig } from '../../src/config';

const cfg = loadConfig();

describe('PostgreSQL (native private cluster)', () => {
  it('round-trips a row with password auth', async () => {
    const client = new Client(cfg.postgres);
    await client.connect();
    try {
      await client.query('CREATE TEMP TABLE it_roundtrip (id serial PRIMARY KEY, body jsonb NOT NULL)');
      const body = { batch: 'mnist.samples-0-0-99', samples: [1, 2, 3] };
      const { rows } = await client.query<{ id: number }>(
        'INSERT INTO it_roundtrip (body) VALUES ($1) RETURNING id',
        [body],
      );
      const back = await client.query<{ body: unknown }>('SELECT body FROM it_roundtrip WHERE id = $1', [
        rows[0]!.id,
      ]);
      expect(back.rows[0]?.body).toEqual(body);
    } finally {
      await client.end();
    }
  });

  it('refuses a wrong password', async () => {
    const client = new Client({ ...cfg.postgres, password: 'definitely-wrong' });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('has the MLflow backend-store database', async () => {
    const client = new Client({ ...cfg.postgres, database: cfg.postgres.mlflowDatabase });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.end();
    expect(rows[0]?.db).toBe(cfg.postgres.mlflowDatabase);
  });
});
