/** Plain-text renderings of results and status for the terminal. */
import type { Config } from '../config';
import { workflowUrl } from '../client/connection';
import type { Finished } from '../client/runs';
import type { PipelineStatus } from '../client/status';
import type { ScheduleState } from '../client/schedules';
import type { BootstrapResult, RetrainResult, Score, StreamNewDataResult } from '../shared';
import { renderTable } from '../stack/table';

export const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const score = (s: Score | undefined) => (s ? `${pct(s.accuracy)} (loss ${s.loss.toFixed(4)})` : '-');

export function every(ms: number | undefined): string {
  if (ms === undefined) return '-';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

export function bootstrapReport(cfg: Config, f: Finished<BootstrapResult>): string {
  const r = f.result;
  const lines =
    r.status === 'champion-exists'
      ? [`A champion exists already: ${r.championVersionId} (use --force to train a new one).`]
      : [
          `Trained and promoted champion ${r.championVersionId} in ${r.epochs.length} epoch(s).`,
          `  validation accuracy ${score(r.scores.validation)}`,
          `  test accuracy       ${score(r.scores.test)}`,
          `  MLflow run ${r.mlflowRunId}, registered version ${r.registeredVersion || '-'}`,
        ];
  return [...lines, `  workflow ${workflowUrl(cfg, f.workflowId, f.runId)}`].join('\n');
}

export function streamReport(cfg: Config, f: Finished<StreamNewDataResult>): string {
  const r = f.result;
  const lines = [
    `Published ${r.published} sample(s), skipped ${r.skipped} already published; ${r.remaining} left in the stream split.`,
    `  consumer lag ${r.lag} (retrain threshold ${r.lagThreshold || 'off'})`,
  ];
  if (r.retrain?.status === 'started') {
    lines.push(
      `  lag reached the threshold: retrain started, ${workflowUrl(cfg, r.retrain.workflowId, r.retrain.runId)}`,
    );
  } else if (r.retrain) {
    lines.push(`  lag reached the threshold, no new retrain: ${r.retrain.reason}`);
  }
  return [...lines, `  workflow ${workflowUrl(cfg, f.workflowId, f.runId)}`].join('\n');
}

export function retrainReport(cfg: Config, f: Finished<RetrainResult>): string {
  const r = f.result;
  const lines = [
    `Retrain cycle ${r.decision}: ${r.reason}`,
    `  records consumed ${r.counts.consumed}, used ${r.counts.valid}, dead-lettered ${r.counts.deadLettered}${r.resumedBatch ? ' (resumed batch)' : ''}`,
    `  champion before ${r.championBefore ?? '-'}, after ${r.championAfter ?? '-'}`,
  ];
  if (r.champion && r.challenger) {
    lines.push(
      renderTable(
        ['', 'VALIDATION', 'TEST'],
        [
          ['  champion', pct(r.champion.validation.accuracy), pct(r.champion.test.accuracy)],
          ['  challenger', pct(r.challenger.validation.accuracy), pct(r.challenger.test.accuracy)],
        ],
      ),
    );
  }
  if (r.prequentialAccuracy !== undefined)
    lines.push(`  champion accuracy on the new batch ${pct(r.prequentialAccuracy)}`);
  return [...lines, `  workflow ${workflowUrl(cfg, f.workflowId, f.runId)}`].join('\n');
}

const when = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

export function schedulesTable(states: readonly ScheduleState[]): string {
  return renderTable(
    ['SCHEDULE', 'STATE', 'EVERY', 'NEXT RUN', 'LAST RUN', 'RUNS', 'ID'],
    states.map((s) =>
      s.exists
        ? [
            s.name,
            s.paused ? 'paused' : 'active',
            every(s.everyMs),
            when(s.nextRun),
            when(s.lastRun),
            String(s.actionsTaken ?? 0),
            s.scheduleId,
          ]
        : [s.name, 'absent', '-', '-', '-', '-', s.scheduleId],
    ),
  );
}

export function statusReport(s: PipelineStatus): string {
  const out: string[] = [];
  if (!s.champion.ok) out.push(`Champion: unavailable (${s.champion.error})`);
  else if (!s.champion.value) out.push('Champion: none yet (run `bootstrap`)');
  else {
    const c = s.champion.value;
    out.push(
      `Champion: ${c.versionId} (created ${c.createdAt}, ${c.parentVersionId ? `fine-tuned from ${c.parentVersionId}` : 'trained from scratch'}, ${c.batches} stream batch(es))`,
      `  validation accuracy ${pct(c.metrics.validation_accuracy)}, test accuracy ${pct(c.metrics.test_accuracy)}`,
    );
  }
  out.push(
    s.lag.ok && !s.lag.value.topicExists
      ? `Consumer lag: 0 (topic ${s.lag.value.topic} does not exist yet: nothing streamed)`
      : s.lag.ok
        ? `Consumer lag: ${s.lag.value.total} record(s) waiting on ${s.lag.value.topic} for group ${s.lag.value.groupId}`
        : `Consumer lag: unavailable (${s.lag.error})`,
  );
  if (!s.cycles.ok) out.push(`Retrain cycles: unavailable (${s.cycles.error})`);
  else if (s.cycles.value.length === 0) out.push('Retrain cycles: none yet');
  else {
    out.push(
      'Last retrain cycles:',
      renderTable(
        ['  RECORDED', 'DECISION', 'CHAMPION AFTER', 'REASON'],
        s.cycles.value.map((c) => [`  ${when(c.recordedAt)}`, c.decision, c.championAfter ?? '-', c.reason]),
      ),
    );
  }
  out.push(
    s.schedules.ok
      ? `Schedules:\n${schedulesTable(s.schedules.value)}`
      : `Schedules: unavailable (${s.schedules.error})`,
  );
  return out.join('\n');
}
