/**
 * The JSON the web app's /api routes answer with: one contract for the server and the page (the page
 * imports these types only; the bundler drops them).
 */

/** One part of the dashboard: its value, or why it could not be read (each part fails on its own). */
export type Part<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface ChampionView {
  readonly versionId: string;
  readonly createdAt: string;
  /** When the pointer moved to it (promotions.jsonl); null when the history does not say. */
  readonly promotedAt: string | null;
  /** Why it is champion: the promoting cycle's reason, or how it was trained from scratch. */
  readonly why: string;
  readonly promotedBy: CycleLinks | null;
  readonly validationAccuracy: number | null;
  readonly testAccuracy: number | null;
  readonly parentVersionId: string | null;
  readonly batches: number;
}

/** A champion of the past or present, in promotion order: the accuracy-over-versions chart. */
export interface VersionPoint {
  readonly versionId: string;
  readonly promotedAt: string;
  readonly validationAccuracy: number | null;
  readonly testAccuracy: number | null;
}

export interface CycleLinks {
  readonly cycleId: string;
  /** Temporal Web UI page of the cycle's workflow run; null when the id names no workflow run. */
  readonly temporalUrl: string | null;
  /** MLflow UI page of the cycle's run; null when MLflow has no run for it (yet) or cannot be reached. */
  readonly mlflowUrl: string | null;
}

export interface CycleView extends CycleLinks {
  readonly recordedAt: string;
  readonly decision: 'promoted' | 'rejected' | 'skipped';
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly consumed: number | null;
  readonly valid: number | null;
  readonly deadLettered: number | null;
  /** Champion accuracy on the new batch before training on it: the drift signal. */
  readonly prequentialAccuracy: number | null;
  readonly championValidationAccuracy: number | null;
  readonly challengerValidationAccuracy: number | null;
}

export interface ServiceAccuracyView {
  readonly labelled: number;
  readonly correct: number;
  readonly byVersion: readonly {
    readonly modelVersion: string;
    readonly labelled: number;
    readonly correct: number;
  }[];
}

export interface Dashboard {
  readonly generatedAt: string;
  readonly refreshMs: number;
  readonly topic: string;
  readonly champion: Part<ChampionView | null>;
  readonly versions: Part<VersionPoint[]>;
  readonly cycles: Part<CycleView[]>;
  readonly lag: Part<{ readonly total: number; readonly groupId: string; readonly topicExists: boolean }>;
  readonly deadLetters: Part<{ readonly total: number; readonly byReason: Readonly<Record<string, number>> }>;
  readonly serviceAccuracy: Part<ServiceAccuracyView>;
  readonly links: { readonly temporalUi: string; readonly mlflowUi: string };
}

/** Answer of POST /api/samples (201). */
export interface SubmittedSample {
  readonly id: string;
  readonly label: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** What the champion in service predicted for these pixels when they arrived; null without a champion. */
  readonly predicted: number | null;
  readonly modelVersion: string | null;
}

/** Answer of GET /api/samples/:id: the submission and how far it got. */
export interface SampleView extends SubmittedSample {
  readonly submittedAt: string;
  /** The batch that took it; null until a retrain cycle reads it from the topic. */
  readonly batch: { readonly id: string; readonly status: 'snapshotted' | 'used' } | null;
  /** The cycle that trained on that batch; null until it finished. */
  readonly cycle:
    | (CycleLinks & {
        readonly decision: string;
        readonly reason: string;
        readonly championAfter: string | null;
        readonly recordedAt: string;
      })
    | null;
}

/** Every error answer of /api. */
export interface ApiError {
  readonly error: string;
}
