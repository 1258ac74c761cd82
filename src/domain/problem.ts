/**
 * A domain failure callers branch on by `kind` and people read as "problem. remedy". The class name
 * becomes the error's `name`, which Temporal reports as the failure type.
 */
export abstract class DomainProblem<Kind extends string> extends Error {
  constructor(
    readonly kind: Kind,
    readonly problem: string,
    readonly remedy: string,
  ) {
    super(`${problem}. ${remedy}`);
    this.name = new.target.name;
  }
}
