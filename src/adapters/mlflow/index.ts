/** The MLflow adapter's public surface: import from here, not from the files behind it. */
export { MlflowClient } from './client';
export { MlflowError, MlflowInputError, type MlflowErrorCode } from './errors';
export type { MlflowConnection, MlflowHttpOptions } from './http';
export { LOG_BATCH_LIMITS, planLogBatch, type LogBatchInput, type MetricInput } from './log-batch';
export { proxyRoot } from './artifacts';
export { DATASET_LIMITS, IDEMPOTENCY_TAG, type MetricPoint } from './tracking';
export type * from './types';
