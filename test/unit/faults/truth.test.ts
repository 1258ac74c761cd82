import { expectedFedDigest } from '../../../src/domain/cycle/training-evidence';
import {
  judgeSamples,
  judgeTraining,
  type BatchEvidence,
  type SampleEvidence,
} from '../../../test/faults/truth';

const rec = (key: string, offset: number) => ({ key, partition: 0, offset: String(offset) });
const batch = (id: string, ids: string[], snapshotIds: string[] | undefined = ids): BatchEvidence => ({
  id,
  status: 'used',
  cycleId: `cycle-${id}`,
  ledgerIds: ids,
  snapshotIds,
});

function healthy(): SampleEvidence {
  return {
    requested: ['a', 'b', 'c', 'd'],
    requestedCount: 4,
    poisonOffsets: new Set(['0:4']),
    topic: [rec('a', 0), rec('b', 1), rec('c', 2), rec('d', 3), rec('junk', 4)],
    batches: [batch('b1', ['a', 'b']), batch('b2', ['c', 'd'])],
    trained: new Map([
      ['retrain-1', ['b1']],
      ['retrain-2', ['b2']],
    ]),
  };
}

describe('judgeSamples', () => {
  it('finds nothing wrong when every requested id is in exactly one used, trained batch', () => {
    expect(judgeSamples(healthy())).toEqual({ samplesChecked: 4, lost: [], duplicated: [], problems: [] });
  });

  it('reports an id planted in two snapshot files as duplicated, though the ledger lists it once', () => {
    const e = healthy();
    const planted = { ...e, batches: [batch('b1', ['a', 'b']), batch('b2', ['c', 'd'], ['c', 'd', 'a'])] };
    const v = judgeSamples(planted);
    expect(v.duplicated).toEqual(['a']);
    expect(v.problems.join('\n')).toMatch(/batch b2: snapshot ids differ/);
  });

  it('reports an id listed by two ledger batches as duplicated', () => {
    const e = healthy();
    const v = judgeSamples({ ...e, batches: [batch('b1', ['a', 'b']), batch('b2', ['c', 'd', 'b'])] });
    expect(v.duplicated).toEqual(['b']);
  });

  it("reports a batch's ids as duplicated when two retrains say they trained on it", () => {
    const e = healthy();
    const v = judgeSamples({
      ...e,
      trained: new Map([
        ['retrain-1', ['b1']],
        ['retrain-2', ['b2', 'b1']],
      ]),
    });
    expect(v.duplicated).toEqual(['a', 'b']);
    expect(v.problems).toContain('batch b1 was trained by retrain-1 and retrain-2');
  });

  it('reports requested ids that are in no batch, in an unused batch, or never reached the topic as lost', () => {
    const e = healthy();
    const v = judgeSamples({
      ...e,
      topic: e.topic.filter((r) => r.key !== 'd'),
      batches: [batch('b1', ['a', 'b']), { ...batch('b2', ['c']), status: 'snapshotted', cycleId: null }],
    });
    expect(v.lost).toEqual(['c', 'd']);
    expect(v.problems.join('\n')).toMatch(/1 requested ids never reached the topic, e.g. d/);
    expect(v.problems.join('\n')).toMatch(/batch b2 is snapshotted with no cycle/);
  });

  it('flags a request log that does not match the count the suite asked for, and unknown ids', () => {
    const e = healthy();
    const v = judgeSamples({
      ...e,
      requestedCount: 5,
      topic: [...e.topic, rec('stranger', 9)],
      batches: [batch('b1', ['a', 'b', 'zz']), batch('b2', ['c', 'd'])],
    });
    expect(v.problems).toEqual(
      expect.arrayContaining([
        'the suite asked for 5 samples but its log lists 4 ids',
        'topic record 0:9 (key stranger) was never asked for',
        '1 ids in batches were never asked for, e.g. zz',
      ]),
    );
  });

  it('counts a used batch that no retrain reported as a problem', () => {
    const v = judgeSamples({ ...healthy(), trained: new Map([['retrain-1', ['b1']]]) });
    expect(v.problems).toEqual(['batch b2 is marked used but no finished retrain reported training on it']);
  });
});

describe('judgeTraining', () => {
  const batches = [batch('b1', ['a', 'b']), batch('b2', ['c', 'd']), batch('poison', [])];
  const cycle = (decision: string, digests: Record<string, string>, epochs: unknown = 2) => ({
    id: `c-${decision}`,
    decision,
    metrics: {
      batch_ids: 'b1,poison',
      fine_tune_epochs: epochs,
      ...Object.fromEntries(Object.entries(digests).map(([b, d]) => [`fed_digest/${b}`, d])),
    },
  });
  const right = { b1: expectedFedDigest(['b', 'a'], 2) };

  it('accepts a cycle that fed each sample of its batch once per epoch, promoted or rejected', () => {
    expect(judgeTraining([cycle('promoted', right), cycle('rejected', right)], batches)).toEqual({
      batchesChecked: 2,
      problems: [],
    });
  });

  it('reports a batch fed one epoch short, or missing a sample, or with no evidence at all', () => {
    const short = { b1: expectedFedDigest(['a', 'b'], 1) };
    const partial = { b1: expectedFedDigest(['a'], 2) };
    const problems = judgeTraining(
      [cycle('promoted', short), cycle('rejected', partial), { ...cycle('promoted', {}), id: 'c-none' }],
      batches,
    ).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/batch b1 is not its 2 samples × 2 epochs/);
    expect(problems[2]).toMatch(/c-none .* reports no training evidence for batch b1/);
  });

  it('does not judge skipped cycles', () => {
    expect(judgeTraining([cycle('skipped', {})], batches).batchesChecked).toBe(0);
  });
});
