/**
 * Record format v1 of the sample stream (docs/record-format.md): key = sample id, value = 784 pixel
 * bytes, headers schema / label / source. Decoding never throws on bad input: it returns a
 * machine-readable reason, because a poison record must be dead-lettered, not crash the batch.
 */
import { isUtf8 } from 'node:buffer';
import { IMAGE_BYTES, NUM_CLASSES } from '../data/types';

export const SCHEMA_V1 = 'mnist-sample/v1';
export const HEADER = { schema: 'schema', label: 'label', source: 'source' } as const;

/** Sample ids end up in file names, ledger keys and log lines: keep them to a safe alphabet. */
export const SAMPLE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** What a producer needs of a sample; the data layer's StreamSample fits it. */
export interface PublishableSample {
  readonly id: string;
  /** 0..9 */
  readonly label: number;
  /** 784 pixel bytes, row-major, 0..255. */
  readonly image: Uint8Array;
}

/** A valid sample read back from the stream. */
export interface DecodedSample extends PublishableSample {
  /** Who produced it, e.g. `stream-split`. */
  readonly source: string;
}

/** Header values as kafkajs hands them over (repeated headers become arrays). */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A record as read from a partition, before validation. */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  readonly partition: number;
  /** Kafka offsets are int64: kept as decimal strings like kafkajs does. */
  readonly offset: string;
}

/** A message as the publisher sends it (our own records and dead letters). */
export interface WireRecord {
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
}

/** A message ready for the producer. */
export interface OutgoingRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string | Buffer>;
}

export type PoisonReason =
  | 'missing-key'
  | 'invalid-key'
  | 'garbage'
  | 'schema-missing'
  | 'schema-unknown'
  | 'label-missing'
  | 'label-not-digit'
  | 'label-out-of-range'
  | 'source-missing'
  | 'empty-value'
  | 'oversized-value'
  | 'wrong-value-length'
  | 'duplicate-in-batch'
  | 'duplicate-in-ledger';

export type Decoded =
  | { readonly ok: true; readonly sample: DecodedSample }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

export interface DecodeLimits {
  /** Values above this are rejected before anything else is looked at. */
  readonly maxRecordBytes: number;
}

/** Raised only by the encoder: our own producer must never emit a poison record. */
export class RecordFormatError extends Error {
  constructor(
    readonly reason: PoisonReason,
    detail: string,
  ) {
    super(`cannot encode sample: ${detail}`);
    this.name = 'RecordFormatError';
  }
}

function poison(reason: PoisonReason, detail: string): Decoded {
  return { ok: false, reason, detail };
}

type HeaderText = { ok: true; text: string | undefined } | { ok: false; detail: string };

function headerText(headers: RecordHeaders, name: string): HeaderText {
  const raw = headers[name];
  if (raw === undefined) return { ok: true, text: undefined };
  if (Array.isArray(raw)) {
    if (raw.length !== 1) return { ok: false, detail: `header "${name}" appears ${raw.length} times` };
    return headerText({ [name]: raw[0] }, name);
  }
  if (typeof raw === 'string') return { ok: true, text: raw };
  if (!isUtf8(raw)) return { ok: false, detail: `header "${name}" is not valid UTF-8` };
  return { ok: true, text: raw.toString('utf8') };
}

const SCHEMA_V1_BYTES = Buffer.from(SCHEMA_V1, 'ascii');

/** The label of a one-byte Buffer header holding an ASCII digit, else undefined (slow path decides). */
function fastDigit(raw: RecordHeaders[string]): number | undefined {
  if (!Buffer.isBuffer(raw) || raw.length !== 1) return undefined;
  const d = raw[0]! - 0x30;
  return d >= 0 && d < NUM_CLASSES ? d : undefined;
}

/**
 * The sample id of a key that is a valid id, else undefined. Valid ids are ASCII, so a latin1 read
 * that matches the pattern is also the exact UTF-8 reading; only keys that fail need the UTF-8 check.
 */
function fastSampleId(key: Buffer): string | undefined {
  if (key.length > 128) return undefined;
  const id = key.toString('latin1');
  return SAMPLE_ID_PATTERN.test(id) ? id : undefined;
}

/** Validates one record; the first problem found wins, cheapest checks first. */
export function decodeRecord(
  record: Pick<RawRecord, 'key' | 'value' | 'headers'>,
  limits: DecodeLimits,
): Decoded {
  const { key, value, headers } = record;
  if (value && value.length > limits.maxRecordBytes) {
    return poison('oversized-value', `value is ${value.length} bytes, the limit is ${limits.maxRecordBytes}`);
  }
  if (key === null || key.length === 0) return poison('missing-key', 'record has no key (the sample id)');
  let id = fastSampleId(key);
  if (id === undefined) {
    if (!isUtf8(key)) return poison('garbage', 'key is not valid UTF-8');
    id = key.toString('utf8');
    if (!SAMPLE_ID_PATTERN.test(id)) {
      return poison(
        'invalid-key',
        `key ${JSON.stringify(id.slice(0, 64))} is not a sample id (${SAMPLE_ID_PATTERN})`,
      );
    }
  }

  // The common case, one Buffer equal to the known schema, skips the UTF-8 decoding.
  const rawSchema = headers[HEADER.schema];
  if (!(Buffer.isBuffer(rawSchema) && rawSchema.equals(SCHEMA_V1_BYTES))) {
    const schema = headerText(headers, HEADER.schema);
    if (!schema.ok) return poison('garbage', schema.detail);
    if (schema.text === undefined) return poison('schema-missing', `header "${HEADER.schema}" is missing`);
    if (schema.text !== SCHEMA_V1) {
      return poison(
        'schema-unknown',
        `schema ${JSON.stringify(schema.text.slice(0, 64))}, expected ${SCHEMA_V1}`,
      );
    }
  }

  let digit = fastDigit(headers[HEADER.label]);
  if (digit === undefined) {
    const label = headerText(headers, HEADER.label);
    if (!label.ok) return poison('garbage', label.detail);
    if (label.text === undefined || label.text === '')
      return poison('label-missing', `header "${HEADER.label}" is missing`);
    if (!/^[0-9]+$/.test(label.text)) {
      return poison(
        'label-not-digit',
        `label ${JSON.stringify(label.text.slice(0, 16))} is not an ASCII digit`,
      );
    }
    digit = Number(label.text);
    if (label.text.length !== 1 || digit >= NUM_CLASSES) {
      return poison(
        'label-out-of-range',
        `label ${label.text.slice(0, 16)} is outside 0..${NUM_CLASSES - 1}`,
      );
    }
  }

  const source = headerText(headers, HEADER.source);
  if (!source.ok) return poison('garbage', source.detail);
  if (source.text === undefined || source.text.trim() === '') {
    return poison('source-missing', `header "${HEADER.source}" is missing or empty`);
  }

  if (value === null || value.length === 0) return poison('empty-value', 'value is empty');
  if (value.length !== IMAGE_BYTES) {
    return poison(
      'wrong-value-length',
      `value is ${value.length} bytes, expected ${IMAGE_BYTES} (28×28 pixels)`,
    );
  }
  // A view, not a copy: the snapshot copies the pixels once anyway, and nothing writes to the record.
  const image = new Uint8Array(value.buffer, value.byteOffset, value.length);
  return { ok: true, sample: { id, label: digit, source: source.text, image } };
}

/** The v1 record for a sample; throws RecordFormatError on a sample that could not be decoded back. */
export function encodeSample(sample: PublishableSample, source: string): OutgoingRecord {
  if (!SAMPLE_ID_PATTERN.test(sample.id)) {
    throw new RecordFormatError(
      'invalid-key',
      `sample id ${JSON.stringify(sample.id)} does not match ${SAMPLE_ID_PATTERN}`,
    );
  }
  if (!Number.isInteger(sample.label) || sample.label < 0 || sample.label >= NUM_CLASSES) {
    throw new RecordFormatError(
      'label-out-of-range',
      `sample ${sample.id} has label ${sample.label}, expected 0..9`,
    );
  }
  if (source.trim() === '')
    throw new RecordFormatError('source-missing', `sample ${sample.id} has no source`);
  if (sample.image.length !== IMAGE_BYTES) {
    throw new RecordFormatError(
      'wrong-value-length',
      `sample ${sample.id} has ${sample.image.length} pixel bytes, expected ${IMAGE_BYTES}`,
    );
  }
  return {
    key: sample.id,
    value: Buffer.from(sample.image.buffer, sample.image.byteOffset, sample.image.length),
    headers: { [HEADER.schema]: SCHEMA_V1, [HEADER.label]: String(sample.label), [HEADER.source]: source },
  };
}
