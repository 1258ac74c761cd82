/**
 * The comparison strategies of bench:continual, through the same training code as the pipeline:
 *   naive  — the original demo's approach: fine-tune on the new batch only, no replay, always promote;
 *   joint  — the upper bound: a model trained from scratch on train + every streamed sample, full EPOCHS.
 * ("frozen" needs no code: it is the bootstrap champion, never updated.)
 */
import type { Config } from '../../src/config';
import { concatSets } from '../../src/domain/data';
import { IMAGE_BYTES, type MnistSet } from '../../src/domain/data/types';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate } from '../../src/domain/model/evaluate';
import { fineTune } from '../../src/domain/model/fine-tune';
import { fineTuneHyperparameters, hyperparametersFromConfig } from '../../src/domain/model/hyperparameters';
import { loadModel } from '../../src/domain/model/persistence';
import type { Tf } from '../../src/domain/model/tf';
import { train } from '../../src/domain/model/train';

export interface Scores {
  readonly validationAccuracy: number;
  readonly testAccuracy: number;
}

export interface Splits {
  readonly train: MnistSet;
  readonly validation: MnistSet;
  readonly test: MnistSet;
  readonly stream: MnistSet;
}

/** Samples [from, to) of a set, in order: the stream split's batches are published in this order. */
export function sliceSet(s: MnistSet, from: number, to: number): MnistSet {
  return {
    images: s.images.slice(from * IMAGE_BYTES, to * IMAGE_BYTES),
    labels: s.labels.slice(from, to),
    count: to - from,
  };
}

async function scores(tf: Tf, model: Parameters<typeof evaluate>[1], splits: Splits): Promise<Scores> {
  return {
    validationAccuracy: (await evaluate(tf, model, splits.validation)).accuracy,
    testAccuracy: (await evaluate(tf, model, splits.test)).accuracy,
  };
}

/** Naive: the bootstrap model fine-tuned on each batch alone, every result kept. Scores after each cycle. */
export async function runNaive(
  tf: Tf,
  cfg: Config,
  bootstrapDir: string,
  splits: Splits,
  batch: number,
  cycles: number,
): Promise<{ perCycle: Scores[]; trainImages: number[] }> {
  const model = await loadModel(tf, bootstrapDir);
  const perCycle: Scores[] = [];
  const trainImages: number[] = [];
  let images = 0;
  // Each fine-tune continues the schedule of the model it starts from, as in the pipeline.
  let previous: Readonly<Record<string, number | string>> = { ...hyperparametersFromConfig(cfg.training) };
  try {
    for (let k = 0; k < cycles; k++) {
      const fresh = sliceSet(splits.stream, k * batch, (k + 1) * batch);
      const hyper = fineTuneHyperparameters(
        cfg.training,
        cfg.training.fineTuneEpochs,
        `naive-${k}`,
        previous,
      );
      previous = { ...hyper };
      // replayShare 0: the earlier set is never drawn from.
      await fineTune(tf, model, fresh, splits.train, { hyper, replayShare: 0 });
      images += fresh.count * hyper.epochs;
      trainImages.push(images);
      perCycle.push(await scores(tf, model, splits));
    }
  } finally {
    model.dispose();
  }
  return { perCycle, trainImages };
}

/** Joint: from scratch on train + the first `streamed` stream samples, the bootstrap's settings. */
export async function runJoint(
  tf: Tf,
  cfg: Config,
  splits: Splits,
  streamed: number,
): Promise<Scores & { trainImages: number }> {
  const hyper = hyperparametersFromConfig(cfg.training);
  const data = concatSets([splits.train, sliceSet(splits.stream, 0, streamed)]);
  const model = createCnn(tf, hyper);
  try {
    await train(tf, model, data, { hyper });
    return { ...(await scores(tf, model, splits)), trainImages: data.count * hyper.epochs };
  } finally {
    model.dispose();
  }
}
