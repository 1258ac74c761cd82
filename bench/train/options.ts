import { InvalidArgumentError } from 'commander';

/** A commander parser for a positive integer option, naming the option in its error. */
export function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer.`);
    return n;
  };
}

/** A commander parser for a rate in (0, 1], naming the option in its error. */
export function unitRate(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`${what} must be a number in (0, 1].`);
    return n;
  };
}
