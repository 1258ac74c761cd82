import { expectedFedDigest, fedDigest, FedCounter } from '../../../src/domain/cycle/training-evidence';

describe('training evidence', () => {
  it('digests "id count" pairs independently of their order', () => {
    expect(
      fedDigest([
        ['b', 2],
        ['a', 2],
      ]),
    ).toBe(
      fedDigest([
        ['a', 2],
        ['b', 2],
      ]),
    );
    expect(
      fedDigest([
        ['a', 2],
        ['b', 2],
      ]),
    ).toBe(expectedFedDigest(['b', 'a'], 2));
    expect(
      fedDigest([
        ['a', 2],
        ['b', 1],
      ]),
    ).not.toBe(expectedFedDigest(['a', 'b'], 2));
    expect(fedDigest([['a', 2]])).not.toBe(expectedFedDigest(['a', 'b'], 2));
  });

  it('counts the new samples a step fed and ignores replayed ones', () => {
    const c = new FedCounter(3);
    c.record(Int32Array.from([2, 0, 7]));
    c.record(Int32Array.from([1, 2, 5]));
    c.record(Int32Array.from([0, 1]));
    expect(c.toJSON()).toEqual([2, 2, 2]);
    expect(c.digestOf(1, ['y', 'z'])).toBe(expectedFedDigest(['y', 'z'], 2));
  });

  it('restores counts saved with a checkpoint, refusing those of another batch', () => {
    const c = new FedCounter(2);
    c.restore([1, 1]);
    expect(c.toJSON()).toEqual([1, 1]);
    expect(() => c.restore([1, 1, 1])).toThrow(/does not fit 2 samples/);
    expect(() => c.restore('x')).toThrow(/another batch/);
  });
});
