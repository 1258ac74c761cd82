import { ConfigError, loadConfig, SETTINGS, type SettingName } from '../../../src/config';

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('secret settings', () => {
  it('marks every password, key and token as secret', () => {
    const names = Object.keys(SETTINGS) as SettingName[];
    const secretLike = names.filter((n) => /PASSWORD|API_KEY|SECRET|TOKEN/.test(n));
    expect(secretLike.sort()).toEqual(
      [
        'KAFKA_SASL_PASSWORD',
        'MLFLOW_TRACKING_PASSWORD',
        'POSTGRES_PASSWORD',
        'TEMPORAL_API_KEY',
        'WEB_TOKEN',
      ].sort(),
    );
    for (const n of secretLike)
      expect({ n, secret: (SETTINGS[n] as { secret?: boolean }).secret }).toEqual({ n, secret: true });
  });

  it('names an invalid secret setting without echoing its value', () => {
    const value = '  \t  '; // whitespace only: fails the non-empty rule
    const msg = configError({
      POSTGRES_PASSWORD: value,
      MLFLOW_TRACKING_PASSWORD: value,
      POSTGRES_PORT: 'abc',
    });
    expect(msg).toContain('POSTGRES_PASSWORD=(secret value hidden)');
    expect(msg).toContain('MLFLOW_TRACKING_PASSWORD=(secret value hidden)');
    expect(msg).not.toContain(JSON.stringify(value));
    // Ordinary settings still show what was given, which is what makes the error useful.
    expect(msg).toContain('POSTGRES_PORT="abc"');
  });

  it('keeps the Temporal API key out of the TLS consistency error', () => {
    const msg = configError({ TEMPORAL_API_KEY: 'tk-very-secret-123' });
    expect(msg).toContain('TEMPORAL_API_KEY');
    expect(msg).toContain('TEMPORAL_TLS=true');
    expect(msg).not.toContain('tk-very-secret-123');
  });

  it('gives the local stack MLflow credentials by default, overridable', () => {
    expect(loadConfig({}).mlflow).toMatchObject({ username: 'mlops', password: 'mlops-local-mlflow' });
    expect(
      loadConfig({ MLFLOW_TRACKING_USERNAME: 'ci', MLFLOW_TRACKING_PASSWORD: 'other' }).mlflow,
    ).toMatchObject({ username: 'ci', password: 'other' });
  });
});

describe('Temporal TLS settings', () => {
  it('are off by default', () => {
    expect(loadConfig({}).temporal).toMatchObject({ tls: undefined, apiKey: undefined });
  });

  it('need the certificate and key together', () => {
    expect(configError({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CERT_PATH: '/x/client.pem' })).toContain(
      'set both or neither',
    );
  });

  it('refuse files or a key while TLS is off, naming them', () => {
    const msg = configError({ TEMPORAL_TLS_CA_PATH: '/x/ca.pem' });
    expect(msg).toContain('TEMPORAL_TLS_CA_PATH');
    expect(msg).toContain('TEMPORAL_TLS=true');
  });

  it('resolve relative paths from the repository root', () => {
    const t = loadConfig({
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CERT_PATH: 'certs/c.pem',
      TEMPORAL_TLS_KEY_PATH: '/abs/k.pem',
      TEMPORAL_API_KEY: 'k',
    }).temporal;
    expect(t.tls?.certPath).toMatch(/\/certs\/c\.pem$/);
    expect(t.tls?.certPath?.startsWith('/')).toBe(true);
    expect(t.tls?.keyPath).toBe('/abs/k.pem');
    expect(t.apiKey).toBe('k');
  });
});
