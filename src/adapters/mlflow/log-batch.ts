/**
 * Splitting metrics, params and tags into runs/log-batch requests that MLflow accepts.
 *
 * Everything is validated before the first request is sent: MLflow rejects a whole request on one bad
 * entity, and earlier chunks would already be stored, leaving a half-logged run behind.
 */
import {
  MlflowInputError,
  type KeyValue,
  type LogBatchInput,
  type Metric,
} from '../../domain/tracking/tracker';

/** MLflow's limits (mlflow/utils/validation.py, 3.x). Lengths count Unicode code points, as Python does. */
export const LOG_BATCH_LIMITS = {
  maxMetrics: 1000,
  maxParams: 100,
  maxTags: 100,
  maxEntities: 1000,
  /** MLflow's clients refuse bodies above 1e6 bytes; stay a little under to leave room for the envelope. */
  maxRequestBytes: 1_000_000,
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  maxTagValueLength: 8000,
} as const;

export interface LogBatchChunk {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

// Python's \w is Unicode-aware; \p{L}\p{N}\p{M} is the closest JS match.
const VALID_KEY = /^[/\p{L}\p{N}\p{M}_.\- :]+$/u;

export function codePointLength(s: string): number {
  return Array.from(s).length;
}

function checkKey(kind: string, key: string): void {
  if (!VALID_KEY.test(key)) {
    throw new MlflowInputError(
      `MLflow ${kind} key ${JSON.stringify(key)} is invalid: use only letters, digits, _ - . : / and spaces`,
    );
  }
  const norm = key.split('/');
  if (key.startsWith('/') || norm.some((part) => part === '' || part === '.' || part === '..')) {
    throw new MlflowInputError(
      `MLflow ${kind} key ${JSON.stringify(key)} is not a clean relative path (no leading /, //, . or ..)`,
    );
  }
  if (codePointLength(key) > LOG_BATCH_LIMITS.maxKeyLength) {
    throw new MlflowInputError(
      `MLflow ${kind} key ${JSON.stringify(key.slice(0, 40))}… is longer than ${LOG_BATCH_LIMITS.maxKeyLength} characters`,
    );
  }
}

function checkValue(kind: string, key: string, value: string, max: number): void {
  const len = codePointLength(value);
  if (len > max) {
    throw new MlflowInputError(
      `MLflow ${kind} ${JSON.stringify(key)} has a value of ${len} characters; the limit is ${max}. ` +
        'Shorten it or log it as an artifact instead.',
    );
  }
}

/** Protobuf JSON spells non-finite doubles as strings; JSON.stringify would silently turn them into null. */
export function metricValueToWire(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function metricValueFromWire(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Validates every entity and turns the input into wire entities, in input order. */
export function toWireEntities(
  input: LogBatchInput,
  now: number = Date.now(),
): { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] } {
  const metrics = (input.metrics ?? []).map((m): Metric => {
    checkKey('metric', m.key);
    if (typeof m.value !== 'number') {
      throw new MlflowInputError(`MLflow metric ${JSON.stringify(m.key)} has a non-numeric value`);
    }
    const step = m.step ?? 0;
    if (!Number.isSafeInteger(step)) {
      throw new MlflowInputError(`MLflow metric ${JSON.stringify(m.key)} has step ${step}; use an integer`);
    }
    const timestamp = m.timestamp ?? now;
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new MlflowInputError(
        `MLflow metric ${JSON.stringify(m.key)} has timestamp ${timestamp}; use milliseconds since the epoch`,
      );
    }
    return { key: m.key, value: metricValueToWire(m.value), step, timestamp };
  });
  const params = Object.entries(input.params ?? {}).map(([key, raw]): KeyValue => {
    checkKey('param', key);
    const value = String(raw);
    checkValue('param', key, value, LOG_BATCH_LIMITS.maxParamValueLength);
    return { key, value };
  });
  const tags = Object.entries(input.tags ?? {}).map(([key, value]): KeyValue => {
    checkKey('tag', key);
    if (typeof value !== 'string') {
      throw new MlflowInputError(`MLflow tag ${JSON.stringify(key)} must be a string`);
    }
    checkValue('tag', key, value, LOG_BATCH_LIMITS.maxTagValueLength);
    return { key, value };
  });
  return { metrics, params, tags };
}

/** JSON size of one entity plus its separating comma. */
function bytesOf(entity: unknown): number {
  return Buffer.byteLength(JSON.stringify(entity)) + 1;
}

/**
 * Packs entities into as few requests as the limits allow. Order within each kind is kept (MLflow applies
 * entities of one kind in request order, and a later tag value must win). Params and tags go first in each
 * request because their caps are the tighter ones; metrics fill what is left.
 */
export function planLogBatch(input: LogBatchInput, now: number = Date.now()): LogBatchChunk[] {
  const wire = toWireEntities(input, now);
  const L = LOG_BATCH_LIMITS;
  // Room for {"run_id":"<32 hex>","metrics":[],"params":[],"tags":[]} with margin.
  const envelopeBytes = 200;
  const chunks: LogBatchChunk[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < wire.metrics.length || p < wire.params.length || t < wire.tags.length) {
    const chunk: LogBatchChunk = { metrics: [], params: [], tags: [] };
    let bytes = envelopeBytes;
    const total = () => chunk.metrics.length + chunk.params.length + chunk.tags.length;
    const fits = (e: unknown) => bytes + bytesOf(e) <= L.maxRequestBytes && total() < L.maxEntities;
    while (p < wire.params.length && chunk.params.length < L.maxParams && fits(wire.params[p])) {
      bytes += bytesOf(wire.params[p]);
      chunk.params.push(wire.params[p++]!);
    }
    while (t < wire.tags.length && chunk.tags.length < L.maxTags && fits(wire.tags[t])) {
      bytes += bytesOf(wire.tags[t]);
      chunk.tags.push(wire.tags[t++]!);
    }
    while (m < wire.metrics.length && chunk.metrics.length < L.maxMetrics && fits(wire.metrics[m])) {
      bytes += bytesOf(wire.metrics[m]);
      chunk.metrics.push(wire.metrics[m++]!);
    }
    chunks.push(chunk);
  }
  return chunks;
}
