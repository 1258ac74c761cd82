import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, configTable, loadConfig, REPO_ROOT, SETTINGS } from '../../src/config';

describe('config', () => {
  it('gives documented defaults with no environment', () => {
    const c = loadConfig({});
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.postgres.port).toBe(5432);
    expect(c.training.device).toBe('cpu');
    expect(c.paths.modelsDir).toBe(path.join(REPO_ROOT, 'models'));
  });

  it('parses overrides', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:1,b:2', EPOCHS: '3', TRAINING_DEVICE: 'gpu' });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.training.epochs).toBe(3);
    expect(c.training.device).toBe('gpu');
  });

  it('names every invalid variable in one error', () => {
    let err: unknown;
    try {
      loadConfig({ POSTGRES_PORT: 'abc', TRAINING_DEVICE: 'tpu', REPLAY_SHARE: '2' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('POSTGRES_PORT="abc"');
    expect(msg).toContain('TRAINING_DEVICE="tpu"');
    expect(msg).toContain('REPLAY_SHARE="2"');
    expect(msg).toContain('README.md');
  });

  it('is documented in the README, variable by variable', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(configTable());
    expect(Object.keys(SETTINGS).length).toBeGreaterThan(20);
  });
});
