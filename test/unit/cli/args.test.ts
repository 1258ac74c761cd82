import { InvalidArgumentError } from 'commander';
import { isoDate, wholeNumber } from '../../../src/cli/args';

describe('wholeNumber', () => {
  const count = wholeNumber('--count', 1, 100);

  it('accepts whole numbers in range, with surrounding blanks', () => {
    expect(count('1')).toBe(1);
    expect(count(' 100 ')).toBe(100);
  });

  it.each(['0', '-5', '101', '1.5', '1e2', '12abc', '', 'abc', '0x10'])(
    'refuses %j naming the option and the range',
    (v) => {
      expect(() => count(v)).toThrow(InvalidArgumentError);
      expect(() => count(v)).toThrow(/--count must be a whole number from 1 to 100/);
    },
  );
});

describe('isoDate', () => {
  const from = isoDate('--from');

  it('reads dates and date-times', () => {
    expect(from('2025-01-31').toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(from('2025-01-31T12:30:00Z').toISOString()).toBe('2025-01-31T12:30:00.000Z');
    expect(from('2025-01-31T12:30:00+02:00').toISOString()).toBe('2025-01-31T10:30:00.000Z');
  });

  it.each(['yesterday', '2025-13-45', '31/01/2025', '1738000000'])('refuses %j', (v) => {
    expect(() => from(v)).toThrow(/--from must be an ISO date/);
  });
});
