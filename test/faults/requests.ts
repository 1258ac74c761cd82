/**
 * The suite's own log of what it asked for: the stream split's ids in publish order (recomputed from the
 * seed and sizes, not read from the app's ledger), a cursor over them advanced by every stream request,
 * the valid extras, and the poison records with the reason each must get.
 */
import type { Config } from '../../src/config';
import { computeSplits } from '../../src/domain/data/split';
import { streamSampleId } from '../../src/domain/data/stream';
import type { PoisonReason } from '../../src/domain/stream/record';

/** The canonical MNIST sets the split cuts (train-images: 60 000, t10k: 10 000). */
const MNIST_TRAIN = 60_000;
const MNIST_TEST = 10_000;

export interface RequestedPoison {
  readonly partition: number;
  readonly offset: string;
  readonly reason: PoisonReason;
}

export class RequestLog {
  private readonly streamOrder: readonly string[];
  private cursor = 0;
  private readonly ids: string[] = [];
  private readonly poisonSent: RequestedPoison[] = [];
  /** Sum of what was asked for, kept apart from the id list so the two can be compared. */
  private asked = 0;

  constructor(cfg: Config) {
    const sizes = { stream: cfg.data.streamSize, validation: cfg.data.validationSize };
    this.streamOrder = computeSplits(cfg.training.seed, MNIST_TRAIN, MNIST_TEST, sizes).stream.map(
      streamSampleId,
    );
  }

  /** A stream request of `count` new samples: the next `count` ids of the split, as the publisher picks them. */
  stream(count: number): void {
    this.asked += count;
    this.ids.push(...this.streamOrder.slice(this.cursor, this.cursor + count));
    this.cursor += count;
  }

  /** A valid sample the suite sent itself. */
  extra(id: string): void {
    this.asked += 1;
    this.ids.push(id);
  }

  poison(p: RequestedPoison): void {
    this.poisonSent.push(p);
  }

  get requested(): readonly string[] {
    return this.ids;
  }

  get requestedCount(): number {
    return this.asked;
  }

  get poisonRecords(): readonly RequestedPoison[] {
    return this.poisonSent;
  }
}
