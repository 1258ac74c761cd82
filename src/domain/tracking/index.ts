/** MLflow run composition for bootstrap and retrain cycles, and the PNG artifacts they carry. */
export {
  BOOTSTRAP_ARTIFACTS,
  logBootstrapRun,
  planBootstrapRun,
  type BootstrapRunInput,
} from './bootstrap-run';
export { confusionMatrixLayout, renderConfusionMatrixPng } from './confusion-matrix-png';
export {
  batchDatasetInput,
  splitDatasetInputs,
  type BatchDatasetSource,
  type ManifestSummary,
} from './datasets';
export {
  DEFAULT_MISCLASSIFIED_LIMIT,
  pickMisclassified,
  renderMisclassifiedPng,
  type MisclassifiedDigit,
} from './misclassified-png';
export {
  RETRAIN_ARTIFACTS,
  logRetrainRun,
  planRetrainRun,
  retrainRunInput,
  type RetrainRunContext,
  type RetrainRunInput,
  type SplitScoreLogs,
} from './retrain-run';
export { scoreLogOf, type EpochLog, type ScoreLog } from './run-metrics';
export {
  CHAMPION_ALIAS,
  LOGGING_STATE_TAG,
  MODEL_ARTIFACT_PATH,
  REGISTERED_VERSION_TAG,
  type LoggedRun,
  type RunPlanOptions,
  type TrackingTarget,
} from './run-plan';
export { MlflowInputError, type TrackingClient } from './tracker';
