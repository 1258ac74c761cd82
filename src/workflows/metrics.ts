/** Flat metric maps for the ledger, MLflow and model metadata. */
import type { Score, SplitScores } from '../shared';

export function scoreMetrics(prefix: string, s: Score): Record<string, number> {
  return { [`${prefix}_accuracy`]: s.accuracy, [`${prefix}_loss`]: s.loss };
}

export function splitMetrics(prefix: string, s: SplitScores): Record<string, number> {
  return { ...scoreMetrics(`${prefix}validation`, s.validation), ...scoreMetrics(`${prefix}test`, s.test) };
}
