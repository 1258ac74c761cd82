/**
 * Wire shapes of the MLflow 3.x REST API (JSON form of mlflow/protos/service.proto and model_registry.proto),
 * limited to the fields this project reads or writes. Field names stay snake_case as on the wire so a
 * mismatch with the server is easy to spot. MLflow omits empty fields, hence the many optionals.
 */

export interface KeyValue {
  key: string;
  value: string;
}

export type LifecycleStage = 'active' | 'deleted';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: LifecycleStage;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  /** With `--serve-artifacts`: mlflow-artifacts:/<experiment id>/<run id>/artifacts */
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Metric {
  key: string;
  /** A number, or "NaN" / "Infinity" / "-Infinity" (protobuf JSON has no other way to write those). */
  value: number | string;
  timestamp: number;
  step: number;
}

export interface Dataset {
  name: string;
  /** At most 36 characters: MLflow stores it in a short column. */
  digest: string;
  /** Where the data came from, e.g. "local", "kafka", "http". */
  source_type: string;
  /** JSON describing the source, e.g. {"uri": "..."}. */
  source: string;
  /** JSON schema of the records (MLflow shows it in the UI). */
  schema?: string;
  /** JSON summary, e.g. {"num_rows": 1000}. */
  profile?: string;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: Dataset;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: DatasetInput[] };
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface SearchRunsRequest {
  experiment_ids: string[];
  /** MLflow search syntax, e.g. tags.`temporal.workflow_id` = 'retrain-42' */
  filter?: string;
  run_view_type?: ViewType;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

export interface FileInfo {
  /** Relative to the listed folder's run artifact root (we rewrite the proxy's bare names into this). */
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  name: string;
  /** A decimal string, e.g. "3". */
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  source: string;
  run_id?: string;
  status: ModelVersionStatus;
  status_message?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  tags?: KeyValue[];
  aliases?: RegisteredModelAlias[];
}
