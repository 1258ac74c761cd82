/** Argument parsers for commander: each refuses bad input with a message naming the argument and the range. */
import { InvalidArgumentError } from 'commander';

/** A whole number in [min, max]; rejects "12abc", "1e3", "-5" and the like, which Number() would bend. */
export function wholeNumber(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${value}".`);
    }
    return n;
  };
}

/** An ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z. */
export function isoDate(name: string): (value: string) => Date {
  return (value) => {
    const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())
      ? new Date(value)
      : undefined;
    if (!d || Number.isNaN(d.getTime())) {
      throw new InvalidArgumentError(
        `${name} must be an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z, got "${value}".`,
      );
    }
    return d;
  };
}
