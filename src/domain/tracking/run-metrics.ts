/** How training curves and evaluations become MLflow metrics: one naming scheme for bootstrap and retrain runs. */
import type { MetricInput } from './tracker';

/** One completed epoch, as training reports it (EpochMetrics, or the workflows' EpochRecord). */
export interface EpochLog {
  /** 0-based index of the completed epoch. */
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly imagesPerSecond?: number;
  readonly seconds?: number;
}

/** Accuracy and loss of a model on one set, with the per-digit figures when the evaluation has them. */
export interface ScoreLog {
  readonly accuracy: number;
  readonly loss: number;
  /** Accuracy per true digit; NaN for a digit absent from the set. */
  readonly perClassAccuracy?: readonly number[];
}

/** A score as evaluation reports it (null where a digit is absent: JSON has no NaN). */
export function scoreLogOf(s: {
  readonly accuracy: number;
  readonly loss: number;
  readonly perClassAccuracy?: readonly (number | null)[];
}): ScoreLog {
  return {
    accuracy: s.accuracy,
    loss: s.loss,
    ...(s.perClassAccuracy ? { perClassAccuracy: s.perClassAccuracy.map((a) => a ?? NaN) } : {}),
  };
}

/** A metric without its timestamp: the run plan stamps them all alike so a retry logs identical points. */
export type MetricPointInput = Omit<MetricInput, 'timestamp'>;

/**
 * Per-epoch curves with step = epochs completed (1 after the first epoch), so a plot starts at 1 and
 * a resumed training's epochs land on the steps an uninterrupted one would have used.
 */
export function epochMetrics(epochs: readonly EpochLog[], prefix = ''): MetricPointInput[] {
  const out: MetricPointInput[] = [];
  const seen = new Set<number>();
  for (const e of epochs) {
    if (!(Number.isInteger(e.epoch) && e.epoch >= 0)) {
      throw new Error(
        `epoch index ${e.epoch} is not a 0-based integer; pass the epoch records as training reported them`,
      );
    }
    if (seen.has(e.epoch)) {
      throw new Error(`epoch ${e.epoch} is listed twice; pass each completed epoch once`);
    }
    seen.add(e.epoch);
    const step = e.epoch + 1;
    const add = (key: string, value: number | undefined) => {
      if (value !== undefined) out.push({ key: `${prefix}${key}`, value, step });
    };
    add('loss', e.loss);
    add('accuracy', e.accuracy);
    add('val_loss', e.valLoss);
    add('val_accuracy', e.valAccuracy);
    add('images_per_second', e.imagesPerSecond);
    add('epoch_seconds', e.seconds);
  }
  return out;
}

/**
 * `<prefix><set>_accuracy`, `<prefix><set>_loss` and `<prefix><set>_class_accuracy/digit_<d>` (the slash
 * groups the ten curves in the MLflow UI). Digits absent from the set are left out rather than logged NaN.
 */
export function scoreMetrics(prefix: string, set: string, score: ScoreLog): MetricPointInput[] {
  const base = `${prefix}${set}`;
  const out: MetricPointInput[] = [
    { key: `${base}_accuracy`, value: score.accuracy, step: 0 },
    { key: `${base}_loss`, value: score.loss, step: 0 },
  ];
  (score.perClassAccuracy ?? []).forEach((value, digit) => {
    if (!Number.isNaN(value)) out.push({ key: `${base}_class_accuracy/digit_${digit}`, value, step: 0 });
  });
  return out;
}

/** camelCase hyper-parameter names as MLflow params in snake_case, the style of every other key we log. */
export function hyperparameterParams(
  hyper: Readonly<Record<string, string | number | boolean>>,
): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(hyper).map(([k, v]) => [k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), v]),
  );
}
