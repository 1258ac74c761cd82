import { DLQ_HEADER, toDeadLetter } from '../../../src/domain/stream/dead-letter';
import type { RawRecord } from '../../../src/domain/stream/record';
import { sampleRecord } from '../../support/records';
import { candidateIds, triageBatch } from '../../../src/domain/stream/triage';

const limits = { maxRecordBytes: 4096 };
let offset = 0;
const rec = (id: string, label = 1): RawRecord => sampleRecord(id, offset++, label, 2);

describe('triageBatch', () => {
  it('keeps the first of duplicate ids in a batch and flags the rest', () => {
    const records = [rec('a'), rec('b'), rec('a', 5)];
    const t = triageBatch(records, new Map(), limits);
    expect(t.valid.map((v) => v.sample.id)).toEqual(['a', 'b']);
    expect(t.valid[0]?.sample.label).toBe(1);
    expect(t.poison).toHaveLength(1);
    expect(t.poison[0]?.reason).toBe('duplicate-in-batch');
    expect(t.poison[0]?.record).toBe(records[2]);
  });

  it('flags ids the ledger already holds in another batch', () => {
    const t = triageBatch([rec('a'), rec('b')], new Map([['b', 'topic-0-0-9']]), limits);
    expect(t.valid.map((v) => v.sample.id)).toEqual(['a']);
    expect(t.poison[0]).toMatchObject({ reason: 'duplicate-in-ledger' });
    expect(t.poison[0]?.detail).toContain('topic-0-0-9');
  });

  it('mixes decode failures and valid records, keeping order', () => {
    const bad = { ...rec('c'), value: Buffer.alloc(3) };
    const t = triageBatch([rec('x'), bad, rec('y')], new Map(), limits);
    expect(t.valid.map((v) => v.sample.id)).toEqual(['x', 'y']);
    expect(t.poison.map((p) => p.reason)).toEqual(['wrong-value-length']);
  });

  it('lists only ids that decode, once each', () => {
    expect(candidateIds([rec('a'), rec('a'), { ...rec('z'), key: null }], limits)).toEqual(['a']);
  });
});

describe('toDeadLetter', () => {
  it('keeps the original record and adds reason and source coordinates', () => {
    const r = { ...rec('q'), headers: { ...rec('q').headers, 'dlq-reason': 'forged' } };
    const dl = toDeadLetter({ record: r, reason: 'label-not-digit', detail: 'label "x"' }, 'mnist.samples');
    expect(dl.key).toBe(r.key);
    expect(dl.value).toBe(r.value);
    expect(dl.headers).toMatchObject({
      schema: 'mnist-sample/v1',
      label: '1',
      [DLQ_HEADER.reason]: 'label-not-digit',
      [DLQ_HEADER.sourceTopic]: 'mnist.samples',
      [DLQ_HEADER.sourcePartition]: '2',
      [DLQ_HEADER.sourceOffset]: r.offset,
    });
  });
});
