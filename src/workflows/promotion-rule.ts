/** The promotion rule, pure so it is tested directly and replays identically. */
import type { PromotionVerdict, SplitScores } from '../shared';

export interface PromotionPolicy {
  /** Validation accuracy the challenger must gain (absolute, 0..1). */
  readonly minGain: number;
  /** Largest test accuracy drop allowed (absolute, 0..1). */
  readonly testTolerance: number;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} pt`;

/**
 * Standard error of an accuracy measured on `count` images, sqrt(p(1-p)/n): about 0.15 pt at 99 % on the
 * 5 000-image validation split. Gains below it are noise the split cannot tell from a real improvement.
 */
export function accuracyStandardError(accuracy: number, count: number): number {
  return count > 0 ? Math.sqrt((accuracy * (1 - accuracy)) / count) : NaN;
}

function noiseNote(champion: SplitScores): string {
  const { accuracy, count } = champion.validation;
  const se = accuracyStandardError(accuracy, count);
  return Number.isFinite(se) ? ` (validation standard error ${pct(se)} on ${count} images)` : '';
}

/**
 * Promote only on a validation gain ≥ minGain that does not cost more than testTolerance on test.
 * Deciding on validation and only guarding with test keeps the test set from becoming a tuning target.
 */
export function decidePromotion(
  champion: SplitScores,
  challenger: SplitScores,
  policy: PromotionPolicy,
): PromotionVerdict {
  const validationGain = challenger.validation.accuracy - champion.validation.accuracy;
  const testDrop = champion.test.accuracy - challenger.test.accuracy;
  // A hair of slack: accuracies are ratios of counts and 0.1 + 0.2 style rounding must not flip a tie.
  const eps = 1e-9;
  if (!(validationGain + eps >= policy.minGain)) {
    return {
      promote: false,
      reason: `validation accuracy gain ${pct(validationGain)} is below the required ${pct(policy.minGain)}${noiseNote(champion)}`,
      validationGain,
      testDrop,
    };
  }
  if (!(testDrop - eps <= policy.testTolerance)) {
    return {
      promote: false,
      reason: `test accuracy drops by ${pct(testDrop)}, more than the tolerated ${pct(policy.testTolerance)}`,
      validationGain,
      testDrop,
    };
  }
  return {
    promote: true,
    reason: `validation accuracy +${pct(validationGain)} (≥ ${pct(policy.minGain)}), test change ${pct(-testDrop)} (tolerance ${pct(policy.testTolerance)})${noiseNote(champion)}`,
    validationGain,
    testDrop,
  };
}
