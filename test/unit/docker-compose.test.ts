import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, REPO_ROOT, SETTINGS } from '../../src/config';

// docker-compose.yml cannot run on a machine without a Docker engine; this keeps it honest against the config.
interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string | string[];
  volumes?: (string | { source?: string })[];
  deploy?: { replicas?: number | string };
}
const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const services = compose.services;
const defaults = loadConfig({});

function hostPorts(name: string): number[] {
  return (services[name]?.ports ?? []).map((p) => {
    const m = /^127\.0\.0\.1:(\d+):\d+$/.exec(p);
    if (!m) throw new Error(`${name}: port ${p} must be published on 127.0.0.1 only`);
    return Number(m[1]);
  });
}

describe('docker-compose.yml', () => {
  it('has the same services as the native stack plus the UI and the two workers', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['io-worker', 'kafka', 'mlflow', 'postgres', 'temporal', 'temporal-ui', 'training-worker'].sort(),
    );
  });

  it('publishes the ports of the native stack, on loopback only', () => {
    expect(hostPorts('postgres')).toEqual([defaults.postgres.port]);
    expect(hostPorts('kafka')).toEqual([Number(defaults.kafka.brokers[0]!.split(':')[1])]);
    expect(hostPorts('temporal')).toEqual([Number(defaults.temporal.address.split(':')[1])]);
    expect(hostPorts('temporal-ui')).toEqual([defaults.temporal.uiPort]);
    expect(hostPorts('mlflow')).toEqual([Number(new URL(defaults.mlflow.trackingUri).port)]);
  });

  it('uses official images for the services', () => {
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.kafka?.image).toMatch(/^apache\/kafka:4\.1\./);
    expect(services.temporal?.image).toMatch(/^temporalio\//);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    // Same versions as the native stack, so both paths behave alike.
    expect(services.kafka?.image).toBe(`apache/kafka:${defaults.stack.kafkaVersion}`);
    expect(fs.readFileSync(path.join(REPO_ROOT, 'docker/mlflow.Dockerfile'), 'utf8')).toContain(
      `FROM ghcr.io/mlflow/mlflow:v${defaults.stack.mlflowVersion}\n`,
    );
  });

  it('gives the workers only environment variables that the config module knows', () => {
    for (const worker of ['io-worker', 'training-worker']) {
      const env = services[worker]?.environment ?? {};
      expect(Object.keys(env).length).toBeGreaterThan(5);
      for (const name of Object.keys(env)) expect(Object.keys(SETTINGS)).toContain(name);
      // Every value must parse with the config module's own validation.
      expect(() => loadConfig(resolveDefaults(env))).not.toThrow();
    }
  });

  it('lets no two app services share a volume, and scales both workers', () => {
    const app = ['io-worker', 'training-worker'];
    const mounts = app.flatMap((name) =>
      (services[name]?.volumes ?? []).map((v) => ({
        name,
        source: typeof v === 'string' ? v.split(':')[0] : v.source,
      })),
    );
    const bySource = new Map<string | undefined, string[]>();
    for (const m of mounts) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m.name]);
    expect([...bySource].filter(([, users]) => users.length > 1)).toEqual([]);
    for (const name of app) {
      expect(resolveDefaults(services[name]?.environment ?? {}).FILE_EXCHANGE).toBe('mlflow');
      expect(services[name]?.deploy?.replicas).toBeDefined();
    }
  });

  it('uses the same database credentials as the native stack defaults', () => {
    const env = resolveDefaults(services.postgres?.environment ?? {});
    expect(env.POSTGRES_USER).toBe(defaults.postgres.user);
    expect(env.POSTGRES_PASSWORD).toBe(defaults.postgres.password);
    expect(env.POSTGRES_DB).toBe(defaults.postgres.database);
    expect(env.MLFLOW_POSTGRES_DB).toBe(defaults.postgres.mlflowDatabase);
  });
});

/** Resolves compose's `${NAME:-default}` the way compose does when NAME is unset. */
function resolveDefaults(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
  );
}
