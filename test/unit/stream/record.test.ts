import {
  decodeRecord,
  encodeSample,
  RecordFormatError,
  SCHEMA_V1,
  type PoisonReason,
  type RawRecord,
} from '../../../src/domain/stream/record';
import { RECORD_LIMITS, testImage } from '../../support/records';

const limits = RECORD_LIMITS;
const image = testImage(7);

function raw(over: Partial<RawRecord> = {}): RawRecord {
  const enc = encodeSample({ id: 'stream-12345', label: 7, image }, 'stream-split');
  return {
    key: Buffer.from(enc.key),
    value: enc.value,
    headers: Object.fromEntries(Object.entries(enc.headers).map(([k, v]) => [k, Buffer.from(v)])),
    partition: 0,
    offset: '41',
    ...over,
  };
}

function reasonOf(r: RawRecord): PoisonReason | 'ok' {
  const d = decodeRecord(r, limits);
  return d.ok ? 'ok' : d.reason;
}

describe('record format v1', () => {
  it('round-trips a sample through encode and decode', () => {
    const d = decodeRecord(raw(), limits);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.sample).toEqual({ id: 'stream-12345', label: 7, source: 'stream-split', image });
  });

  it('puts the id in the key, pixels in the value and the documented headers', () => {
    const enc = encodeSample({ id: 'stream-1', label: 0, image }, 'tests');
    expect(enc.key).toBe('stream-1');
    expect(enc.value.length).toBe(784);
    expect(enc.headers).toEqual({ schema: SCHEMA_V1, label: '0', source: 'tests' });
  });

  it('accepts string header values as well as buffers', () => {
    expect(reasonOf(raw({ headers: { schema: SCHEMA_V1, label: '3', source: 'x' } }))).toBe('ok');
  });

  const base = raw();
  const h = (over: Record<string, Buffer | string | string[] | undefined>) => ({ ...base.headers, ...over });
  const cases: [string, RawRecord, PoisonReason][] = [
    ['no key', raw({ key: null }), 'missing-key'],
    ['empty key', raw({ key: Buffer.alloc(0) }), 'missing-key'],
    ['non-UTF-8 key', raw({ key: Buffer.from([0xff, 0xfe, 0x41]) }), 'garbage'],
    ['key with a slash', raw({ key: Buffer.from('../etc/passwd') }), 'invalid-key'],
    [
      'non-UTF-8 label header',
      raw({ headers: h({ label: Buffer.from([0xc3, 0x28]) as unknown as string }) }),
      'garbage',
    ],
    ['repeated schema header', raw({ headers: h({ schema: [SCHEMA_V1, SCHEMA_V1] }) }), 'garbage'],
    ['no schema header', raw({ headers: h({ schema: undefined }) }), 'schema-missing'],
    ['unknown schema', raw({ headers: h({ schema: 'mnist-sample/v2' }) }), 'schema-unknown'],
    ['no label header', raw({ headers: h({ label: undefined }) }), 'label-missing'],
    ['empty label', raw({ headers: h({ label: '' }) }), 'label-missing'],
    ['label "x"', raw({ headers: h({ label: 'x' }) }), 'label-not-digit'],
    ['label "-1"', raw({ headers: h({ label: '-1' }) }), 'label-not-digit'],
    ['label "10"', raw({ headers: h({ label: '10' }) }), 'label-out-of-range'],
    ['label "07"', raw({ headers: h({ label: '07' }) }), 'label-out-of-range'],
    ['no source', raw({ headers: h({ source: undefined }) }), 'source-missing'],
    ['null value', raw({ value: null }), 'empty-value'],
    ['empty value', raw({ value: Buffer.alloc(0) }), 'empty-value'],
    ['783 bytes', raw({ value: Buffer.alloc(783) }), 'wrong-value-length'],
    ['785 bytes', raw({ value: Buffer.alloc(785) }), 'wrong-value-length'],
    ['value over the limit', raw({ value: Buffer.alloc(4097) }), 'oversized-value'],
  ];
  it.each(cases)('rejects %s', (_name, record, reason) => {
    const d = decodeRecord(record, limits);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.reason).toBe(reason);
    expect(d.detail.length).toBeGreaterThan(5);
  });

  it('checks the size before anything else, so huge garbage is not parsed', () => {
    expect(reasonOf(raw({ key: null, value: Buffer.alloc(5000) }))).toBe('oversized-value');
  });

  it('refuses to encode a sample that would be poison', () => {
    expect(() => encodeSample({ id: 'a b', label: 1, image }, 's')).toThrow(RecordFormatError);
    expect(() => encodeSample({ id: 'ok', label: 10, image }, 's')).toThrow(/label 10/);
    expect(() => encodeSample({ id: 'ok', label: 1, image: image.subarray(1) }, 's')).toThrow(
      /783 pixel bytes/,
    );
    expect(() => encodeSample({ id: 'ok', label: 1, image }, ' ')).toThrow(/no source/);
  });
});
