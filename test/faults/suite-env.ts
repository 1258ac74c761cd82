/**
 * The suite's own stack instance and pipeline names: other ports and state dir than the shared stack, and
 * per-run topic, group, experiment, model, database and folders, so a run disturbs nobody's state.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, REPO_ROOT, type Config } from '../../src/config';
import { pipelineEnv } from '../support/pipeline-env';

export interface SuiteEnv {
  readonly tag: string;
  /** Everything this run writes outside the stack: data, models, worker logs. */
  readonly runDir: string;
  readonly logsDir: string;
  /** Environment of the suite process and of the worker children. */
  readonly env: NodeJS.ProcessEnv;
  readonly cfg: Config;
}

export const FAULTS_STATE_DIR = path.join(REPO_ROOT, '.stack-faults');

/** A private stack instance: its state folder and ports (the scale test and the soak have their own, so they can run beside the suite). */
export interface Instance {
  readonly name: string;
  readonly stateDir: string;
  /** Added to the fault suite's ports. */
  readonly portOffset: number;
}

export const FAULTS: Instance = { name: 'faults', stateDir: FAULTS_STATE_DIR, portOffset: 0 };
export const SCALE: Instance = {
  name: 'scale',
  stateDir: path.join(REPO_ROOT, '.stack-scale'),
  portOffset: 100,
};

export const SOAK: Instance = {
  name: 'soak',
  stateDir: path.join(REPO_ROOT, '.stack-soak'),
  portOffset: 200,
};

export function suiteEnv(instance: Instance = FAULTS, extra: Record<string, string> = {}): SuiteEnv {
  const tag = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  const runDir = path.join(instance.stateDir, 'runs', tag);
  const logsDir = path.join(runDir, 'logs');
  const port = (p: number) => String(p + instance.portOffset);
  const overrides: Record<string, string> = {
    STACK_STATE_DIR: instance.stateDir,
    POSTGRES_PORT: port(5532),
    POSTGRES_DB: `${instance.name}_${tag.replace(/-/g, '_')}`,
    KAFKA_BROKERS: `127.0.0.1:${port(9192)}`,
    KAFKA_CONTROLLER_PORT: port(9193),
    TEMPORAL_ADDRESS: `127.0.0.1:${port(7333)}`,
    TEMPORAL_UI_PORT: port(8333),
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${port(5100)}`,
    MLFLOW_REQUEST_TIMEOUT_S: '10',
    ...pipelineEnv(`${instance.name}-${tag}`, runDir),
    KAFKA_PUBLISH_CHUNK: '100',
    MAX_RECORD_BYTES: '4096',
    BATCH_SIZE: '64',
    RETRAIN_MIN_RECORDS: '50',
    RETRAIN_MAX_RECORDS: '5000',
    RETRAIN_MAX_WAIT_MS: '5000',
    RETRAIN_LAG_THRESHOLD: '1000000',
    ...extra,
  };
  const env = { ...process.env, ...overrides };
  return { tag, runDir, logsDir, env, cfg: loadConfig(env) };
}
