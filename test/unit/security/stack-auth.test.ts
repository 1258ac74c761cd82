import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, REPO_ROOT } from '../../../src/config';
import { basicAuthIni } from '../../../src/stack/services/mlflow';
import { renderPgHba, renderPgIdent } from '../../../src/stack/services/postgres-hba';
import { scramVerifier } from '../../../src/stack/services/postgres-password';

const rules = () =>
  renderPgHba()
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));

describe('PostgreSQL client authentication', () => {
  it('trusts nobody: SCRAM for every role but the superuser, on TCP and the socket', () => {
    expect(renderPgHba()).not.toMatch(/\btrust\b/);
    for (const r of rules().filter((r) => r[2] !== 'postgres')) expect(r.at(-1)).toBe('scram-sha-256');
    expect(rules().some((r) => r[0] === 'local' && r[2] === 'all')).toBe(true);
  });

  it('lets the superuser in only over the socket, as the mapped OS user', () => {
    const su = rules().filter((r) => r[2] === 'postgres');
    expect(su).toEqual([
      ['local', 'all', 'postgres', 'peer', 'map=stack_admin'],
      ['host', 'all', 'postgres', 'all', 'reject'],
    ]);
    // First match wins in pg_hba.conf: the reject must come before the generic host lines.
    const firstHostAll = rules().findIndex((r) => r[0] === 'host' && r[2] === 'all');
    expect(rules().findIndex((r) => r.at(-1) === 'reject')).toBeLessThan(firstHostAll);
    expect(renderPgIdent('root')).toMatch(/^stack_admin\s+root\s+postgres$/m);
    expect(renderPgIdent('postgres').match(/stack_admin/g)).toHaveLength(1);
  });

  it('pre-hashes the role password as PostgreSQL stores it (RFC 5802 SCRAM-SHA-256)', () => {
    const salt = Buffer.from('0123456789abcdef');
    const v = scramVerifier('mlops-local', salt);
    const m = /^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$/.exec(v);
    expect(m?.[1]).toBe(salt.toString('base64'));
    // Recompute StoredKey independently: H(HMAC(Hi(password, salt), "Client Key")).
    const salted = crypto.pbkdf2Sync('mlops-local', salt, 4096, 32, 'sha256');
    const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest();
    expect(m?.[2]).toBe(crypto.createHash('sha256').update(clientKey).digest('base64'));
    expect(v).not.toContain('mlops-local');
    expect(scramVerifier('mlops-local')).not.toBe(scramVerifier('mlops-local')); // fresh salt each time
    expect(() => scramVerifier('pässword')).toThrow(/POSTGRES_PASSWORD: use printable ASCII/);
  });
});

describe('MLflow basic auth', () => {
  const cfg = loadConfig({});

  it('configures the auth app without any secret in the ini file', () => {
    const ini = basicAuthIni(cfg.postgres);
    expect(ini).toContain('default_permission = NO_PERMISSIONS');
    expect(ini).toContain(
      `database_uri = postgresql+psycopg2://mlops@127.0.0.1:5432/${cfg.postgres.mlflowAuthDatabase}\n`,
    );
    expect(ini).not.toContain(cfg.postgres.password);
    expect(ini).not.toContain(cfg.mlflow.password);
  });

  it('escapes % for configparser', () => {
    const ini = basicAuthIni({ ...cfg.postgres, mlflowAuthDatabase: 'a%b' });
    expect(ini).toContain('/a%%25b');
  });

  it('is on in docker-compose too, with the same credentials as the native stack', () => {
    const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, { command?: string; environment?: Record<string, string> }> };
    const mlflow = compose.services.mlflow!;
    const dflt = (v = '') => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    expect(mlflow.command).toContain('--app-name basic-auth');
    expect(dflt(mlflow.environment?.MLFLOW_AUTH_ADMIN_USERNAME)).toBe(cfg.mlflow.username);
    expect(dflt(mlflow.environment?.MLFLOW_AUTH_ADMIN_PASSWORD)).toBe(cfg.mlflow.password);
    for (const worker of ['io-worker', 'training-worker']) {
      const env = compose.services[worker]!.environment ?? {};
      expect(dflt(env.MLFLOW_TRACKING_USERNAME)).toBe(cfg.mlflow.username);
      expect(dflt(env.MLFLOW_TRACKING_PASSWORD)).toBe(cfg.mlflow.password);
    }
  });
});
