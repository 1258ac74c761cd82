/**
 * The ingest fast paths (bench/pipeline/README.md) must decide exactly as the general decoding does, and the
 * snapshot encoder must write the documented MSB1 bytes: a retried take compares sha256 with the ledger.
 */
import { createHash } from 'node:crypto';
import { IMAGE_BYTES } from '../../../src/domain/data/types';
import { freshMessages } from '../../../src/adapters/kafka/bounded-consumer';
import { decodeSnapshot, encodeSnapshot } from '../../../src/domain/stream/batch-snapshot';
import { decodeRecord, encodeSample, SCHEMA_V1 } from '../../../src/domain/stream/record';
import type { RawRecord, RecordHeaders } from '../../../src/domain/stream/record';
import { stageClock, type StageTime, type TakeStage } from '../../../src/domain/stream/stage-clock';
import { candidateIds, decodeRecords, triageBatch } from '../../../src/domain/stream/triage';
import { RECORD_LIMITS, testImage } from '../../support/records';

const limits = RECORD_LIMITS;
const image = testImage(11);

function raw(
  id: string | Buffer,
  headers: RecordHeaders,
  value: Buffer | null = Buffer.from(image),
): RawRecord {
  return { key: typeof id === 'string' ? Buffer.from(id) : id, value, headers, partition: 0, offset: '0' };
}

const good = { schema: Buffer.from(SCHEMA_V1), label: Buffer.from('4'), source: Buffer.from('tests') };

describe('record decoding fast paths', () => {
  it('reads Buffer headers and string headers the same way', () => {
    const fromBuffers = decodeRecord(raw('s-1', good), limits);
    const fromStrings = decodeRecord(raw('s-1', { schema: SCHEMA_V1, label: '4', source: 'tests' }), limits);
    expect(fromBuffers).toEqual(fromStrings);
    expect(fromBuffers).toMatchObject({ ok: true, sample: { id: 's-1', label: 4, source: 'tests' } });
  });

  it.each([
    ['digit just below 0', Buffer.from('/'), 'label-not-digit'],
    ['digit just above 9', Buffer.from(':'), 'label-not-digit'],
    ['two digits', Buffer.from('10'), 'label-out-of-range'],
    ['leading zero', Buffer.from('07'), 'label-out-of-range'],
    ['empty buffer', Buffer.alloc(0), 'label-missing'],
    ['lone continuation byte', Buffer.from([0x80]), 'garbage'],
  ])('falls back to the full label rules for %s', (_name, label, reason) => {
    expect(decodeRecord(raw('s-1', { ...good, label }), limits)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['a longer schema', Buffer.from(`${SCHEMA_V1}x`), 'schema-unknown'],
    ['a repeated schema', [Buffer.from(SCHEMA_V1), Buffer.from(SCHEMA_V1)], 'garbage'],
    ['a schema that is not UTF-8', Buffer.from([0xff]), 'garbage'],
  ])('falls back to the full schema rules for %s', (_name, schema, reason) => {
    expect(decodeRecord(raw('s-1', { ...good, schema }), limits)).toMatchObject({ ok: false, reason });
  });

  it('tells a non-UTF-8 key (garbage) from a UTF-8 key outside the id alphabet (invalid-key)', () => {
    // Latin-1 "é" alone is not UTF-8; the UTF-8 "é" is valid text but not an id character.
    expect(decodeRecord(raw(Buffer.from([0x61, 0xe9]), good), limits)).toMatchObject({ reason: 'garbage' });
    expect(decodeRecord(raw(Buffer.from('aé', 'utf8'), good), limits)).toMatchObject({
      reason: 'invalid-key',
    });
  });

  it('accepts the longest id (128 characters) and refuses one character more', () => {
    const longest = `a${'b'.repeat(127)}`;
    expect(decodeRecord(raw(longest, good), limits)).toMatchObject({ ok: true, sample: { id: longest } });
    expect(decodeRecord(raw(`${longest}c`, good), limits)).toMatchObject({ reason: 'invalid-key' });
  });

  it('hands out the pixels as a plain Uint8Array over the record value, without copying', () => {
    const value = Buffer.from(image);
    const d = decodeRecord(raw('s-1', good, value), limits);
    if (!d.ok) throw new Error(d.detail);
    expect(d.sample.image).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(d.sample.image)).toBe(false);
    expect(d.sample.image.buffer).toBe(value.buffer);
    expect(d.sample.image.byteOffset).toBe(value.byteOffset);
    expect(Array.from(d.sample.image)).toEqual(Array.from(image));
  });
});

describe('decoding a batch once', () => {
  const records = [
    raw('a', good),
    raw('b', { ...good, label: Buffer.from('x') }),
    raw('a', good),
    raw('c', good),
  ];

  it('gives the same triage with pre-decoded records as without', () => {
    const decoded = decodeRecords(records, limits);
    expect(candidateIds(records, limits, decoded)).toEqual(candidateIds(records, limits));
    const taken = new Map([['c', 'other-batch']]);
    const once = triageBatch(records, taken, limits, decoded);
    const twice = triageBatch(records, taken, limits);
    expect(once).toEqual(twice);
    expect(once.poison.map((p) => p.reason)).toEqual([
      'label-not-digit',
      'duplicate-in-batch',
      'duplicate-in-ledger',
    ]);
  });

  it('refuses decoded results that do not belong to the records', () => {
    const decoded = decodeRecords(records.slice(1), limits);
    expect(() => triageBatch(records, new Map(), limits, decoded)).toThrow(/3 decoded results for 4 records/);
    expect(() => candidateIds(records, limits, decoded)).toThrow(/decodeRecords/);
  });
});

describe('snapshot encoding', () => {
  it('writes exactly the documented MSB1 layout', () => {
    const samples = [
      { id: 'x-1', label: 3, image },
      { id: `a${'z'.repeat(127)}`, label: 9, image: new Uint8Array(IMAGE_BYTES).fill(7) },
    ];
    const expected = Buffer.concat([
      Buffer.from('MSB1'),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from([3, 9]),
      Buffer.from(samples[0]!.image),
      Buffer.from(samples[1]!.image),
      Buffer.from([0, 3]),
      Buffer.from('x-1'),
      Buffer.from([0, 128]),
      Buffer.from(samples[1]!.id),
    ]);
    const bytes = encodeSnapshot(samples);
    expect(bytes.equals(expected)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(expected).digest('hex'),
    );
    expect(decodeSnapshot(bytes, 'mem').ids).toEqual(samples.map((s) => s.id));
  });

  it('copies pixels out of record views, so the snapshot does not change with the record buffers', () => {
    const enc = encodeSample({ id: 's-9', label: 2, image }, 'tests');
    const value = Buffer.from(enc.value);
    const d = decodeRecord(raw('s-9', good, value), limits);
    if (!d.ok) throw new Error(d.detail);
    const bytes = encodeSnapshot([d.sample]);
    value.fill(0);
    expect(Array.from(decodeSnapshot(bytes, 'mem').set.images)).toEqual(Array.from(image));
  });
});

describe('stage clock', () => {
  it('reports each stage, also one that fails, and passes the result through', async () => {
    const seen: [TakeStage, StageTime][] = [];
    const time = stageClock((stage, t) => seen.push([stage, t]));
    await expect(time('consume', async () => 42)).resolves.toBe(42);
    await expect(
      time('ledger', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen.map(([s]) => s)).toEqual(['consume', 'ledger']);
    for (const [, t] of seen) {
      expect(t.wallMs).toBeGreaterThanOrEqual(0);
      expect(t.cpuMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('just runs the stage without an observer', async () => {
    await expect(stageClock(undefined)('validate', async () => 'ok')).resolves.toBe('ok');
  });
});

describe('bounded consumer: messages kept from a fetched batch', () => {
  const batch = (...offsets: number[]) => offsets.map((o) => ({ offset: String(o) }));
  const offsetsOf = (ms: { offset: string }[]) => ms.map((m) => Number(m.offset));

  it('keeps a first batch up to the room left', () => {
    expect(offsetsOf(freshMessages(batch(5, 6, 7), undefined, 10))).toEqual([5, 6, 7]);
    expect(offsetsOf(freshMessages(batch(5, 6, 7), undefined, 2))).toEqual([5, 6]);
    expect(freshMessages(batch(5, 6, 7), undefined, 0)).toEqual([]);
  });

  it('drops offsets a refetch repeats, also when the whole batch is a repeat', () => {
    expect(offsetsOf(freshMessages(batch(5, 6, 7, 8), 6n, 10))).toEqual([7, 8]);
    expect(freshMessages(batch(5, 6), 6n, 10)).toEqual([]);
  });

  it('keeps gaps (compacted topics) and compares offsets as int64, not as text', () => {
    expect(offsetsOf(freshMessages(batch(9, 12, 40), 10n, 10))).toEqual([12, 40]);
    const big = [{ offset: '9007199254740993' }, { offset: '9007199254740994' }];
    expect(freshMessages(big, 9007199254740993n, 10)).toEqual([big[1]]);
  });
});
