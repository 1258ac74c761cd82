/** The table `npm run demo` ends with: what happened, how long each step took, where to look next. */
import type { Config } from '../config';
import { workflowUrl } from '../client/connection';
import type { RetrainResult, SplitScores } from '../shared';
import { renderTable, seconds } from '../stack/table';
import { pct } from './format';

export interface DemoStep {
  readonly name: string;
  readonly ms: number;
  readonly outcome: string;
  /** Temporal workflow the step ran, if any. */
  readonly workflow?: { readonly id: string; readonly runId: string };
}

export interface DemoSummary {
  readonly steps: readonly DemoStep[];
  readonly championBefore: {
    readonly versionId: string;
    readonly scores?: SplitScores;
    readonly reused: boolean;
  };
  readonly retrain: RetrainResult;
  readonly mlflow: { readonly experimentUrl?: string; readonly runUrl?: string };
  readonly schedules: string;
  readonly totalMs: number;
}

const acc = (s: SplitScores | undefined) =>
  s ? `validation ${pct(s.validation.accuracy)}, test ${pct(s.test.accuracy)}` : 'accuracy unknown';

export function renderDemoSummary(cfg: Config, s: DemoSummary): string {
  const r = s.retrain;
  const after =
    r.decision === 'promoted'
      ? `${r.championAfter} (${acc(r.challenger)})`
      : `${r.championAfter ?? '-'} (unchanged)`;
  const facts: string[][] = [
    [
      'champion before',
      `${s.championBefore.versionId}${s.championBefore.reused ? ' (reused)' : ''} (${acc(r.champion ?? s.championBefore.scores)})`,
    ],
    ['challenger', r.challenger ? acc(r.challenger) : '-'],
    ['decision', `${r.decision}: ${r.reason}`],
    ['champion after', after],
    [
      'records',
      `consumed ${r.counts.consumed}, used ${r.counts.valid}, dead-lettered ${r.counts.deadLettered}`,
    ],
    ['prequential accuracy', pct(r.prequentialAccuracy)],
  ];
  const steps = s.steps.map((st) => [
    st.name,
    seconds(st.ms),
    st.outcome,
    st.workflow ? workflowUrl(cfg, st.workflow.id, st.workflow.runId) : '',
  ]);
  return [
    renderTable(['RESULT', ''], facts),
    '',
    renderTable(
      ['STEP', 'WALL', 'OUTCOME', 'TEMPORAL WEB UI'],
      [...steps, ['total', seconds(s.totalMs), '', '']],
    ),
    '',
    `MLflow experiment: ${s.mlflow.experimentUrl ?? '-'}`,
    `MLflow retrain run: ${s.mlflow.runUrl ?? '-'}`,
    `Temporal Web UI:    http://127.0.0.1:${cfg.temporal.uiPort}/namespaces/${cfg.temporal.namespace}/workflows`,
    '',
    'Schedules left in place (demo intervals):',
    s.schedules,
  ].join('\n');
}
