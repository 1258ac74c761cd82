/**
 * Training evidence: what a fine-tune actually fed to the optimizer, per stream batch. Training counts how
 * often each new sample went through an optimizer step (over every epoch, across a resume: the counts are
 * kept beside each checkpoint); a batch's digest is sha256 over its "id count" lines sorted by id. An
 * auditor recomputes it from the batch's snapshot (every id, FINE_TUNE_EPOCHS times) and compares.
 */
import { createHash } from 'node:crypto';

export function fedDigest(fed: Iterable<readonly [id: string, count: number]>): string {
  const lines = [...fed].map(([id, n]) => `${id} ${n}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The digest training should report for a batch of `ids`, each trained on in every one of `epochs`. */
export const expectedFedDigest = (ids: readonly string[], epochs: number): string =>
  fedDigest(ids.map((id) => [id, epochs] as const));

/** Optimizer steps per sample of the first `count` samples of a training set (the new ones). */
export class FedCounter {
  private readonly counts: Uint32Array;
  /** False once resumed from a checkpoint that kept no counts: no digest can then be claimed. */
  known = true;

  constructor(readonly count: number) {
    this.counts = new Uint32Array(count);
  }

  /** One step's indices into the training set; replayed samples (index ≥ count) are not counted. */
  record(indices: Int32Array): void {
    for (const i of indices) if (i < this.count) this.counts[i]! += 1;
  }

  toJSON(): number[] {
    return Array.from(this.counts);
  }

  /** The counts saved with a checkpoint, for a run resumed from it. */
  restore(saved: unknown): void {
    if (!(Array.isArray(saved) && saved.length === this.count && saved.every(Number.isInteger))) {
      throw new Error(
        `saved training evidence does not fit ${this.count} samples: the checkpoint belongs to another batch`,
      );
    }
    this.counts.set(saved as number[]);
  }

  markUnknown(): void {
    this.known = false;
  }

  /** Digest of the samples at [start, start + ids.length), named by `ids`. */
  digestOf(start: number, ids: readonly string[]): string {
    return fedDigest(ids.map((id, k) => [id, this.counts[start + k]!] as const));
  }
}
