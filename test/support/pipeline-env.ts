/**
 * Settings for a suite that runs the real pipeline in seconds: its own data and model folders, topics,
 * consumer group and MLflow names (so suites never see each other's records), and a training set small
 * enough that an epoch takes seconds.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';

export function pipelineEnv(name: string, dir: string): Record<string, string> {
  return {
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    // 60 000 - 55 000 - 1 000 = 4 000 training images: one epoch takes seconds, yet has many batches.
    STREAM_SIZE: '55000',
    VALIDATION_SIZE: '1000',
    EPOCHS: '1',
    FINE_TUNE_EPOCHS: '1',
    KAFKA_TOPIC: name,
    KAFKA_DLQ_TOPIC: `${name}.dlq`,
    KAFKA_CONSUMER_GROUP: name,
    MLFLOW_EXPERIMENT: name,
    MLFLOW_REGISTERED_MODEL: name,
  };
}

/** A suite's own pipeline: a fresh folder, names tagged `<prefix>-<random>`, and `env` on top. */
export function pipelineSuite(prefix: string, env: Record<string, string>) {
  const tag = randomUUID().slice(0, 8);
  const dir = mkdtempSync(path.join(os.tmpdir(), `mlops-${prefix}-`));
  const cfg = loadConfig({ ...process.env, ...pipelineEnv(`${prefix}-${tag}`, dir), ...env });
  return { tag, dir, cfg };
}
