/**
 * Settings for a suite that runs the real pipeline in seconds: its own data and model folders, topics,
 * consumer group and MLflow names (so suites never see each other's records), and a training set small
 * enough that an epoch takes seconds.
 */
import path from 'node:path';

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
