import { allowedHosts, PSYCOPG2_VERSION, venvRequirements } from '../../../src/stack/services/mlflow';

describe('allowedHosts', () => {
  it('admits the loopback names with and without the port, nothing else', () => {
    expect(allowedHosts('127.0.0.1', 5000).split(',').sort()).toEqual(
      ['127.0.0.1', '127.0.0.1:5000', 'localhost', 'localhost:5000'].sort(),
    );
  });
  it('adds a configured host once', () => {
    const hosts = allowedHosts('10.0.0.5', 5001).split(',');
    expect(hosts).toContain('10.0.0.5:5001');
    expect(new Set(hosts).size).toBe(hosts.length);
  });
});

describe('venvRequirements', () => {
  it('pins MLflow with its auth extra and the PostgreSQL driver, so the venv stamp changes with either', () => {
    expect(venvRequirements('3.17.2')).toEqual([
      'mlflow[auth]==3.17.2',
      `psycopg2-binary==${PSYCOPG2_VERSION}`,
    ]);
  });
});
