/** The MLflow adapter's public surface: import from here, not from the files behind it. */
export { MlflowClient } from './client';
export { MlflowError, MlflowInputError, type MlflowErrorCode } from './errors';
export type { MlflowConnection, MlflowHttpOptions } from './http';
export { LOG_BATCH_LIMITS, planLogBatch } from './log-batch';
export { proxyRoot } from './artifacts';
export { type MetricPoint } from './tracking';
// The entity shapes belong to the run-tracker port in the domain; re-exported for the adapter's callers.
export {
  DATASET_LIMITS,
  IDEMPOTENCY_TAG,
  type LogBatchInput,
  type MetricInput,
} from '../../domain/tracking/tracker';
export type * from '../../domain/tracking/tracker-types';
