/**
 * `npm run bench:pipeline -- --overhead [--cycles K]`: orchestration overhead of the latest completed
 * retrain cycles, from their Temporal histories: workflow wall time minus the time activities were
 * executing (union of each attempt's ActivityTaskStarted → Completed/Failed/TimedOut interval, so
 * parallel activities are not counted twice). The rest is scheduling, queueing, worker polling and
 * workflow tasks: what Temporal adds to the cycle.
 *
 * Also the cycle's time outside training: wall time minus fine-tuning (fineTuneChallenger) and the
 * challenger's evaluation (the cycle's last evaluateOnSplits), with each activity's time.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface CycleOverhead {
  readonly workflowId: string;
  readonly wallMs: number;
  readonly activityMs: number;
  readonly overheadMs: number;
  /** Scheduled → started, summed: time activity tasks waited for a worker. */
  readonly queueMs: number;
  readonly activities: number;
  /** Wall time minus fine-tuning and the challenger's evaluation. */
  readonly outsideTrainingMs: number;
  /** Milliseconds per activity type, attempts of one activity from first start to close. */
  readonly byActivity: Readonly<Record<string, number>>;
}

function ms(e: HistoryEvent): number {
  const t = e.eventTime;
  if (!t) throw new Error(`history event ${String(e.eventId)} has no time`);
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Length of the union of [start, end] intervals. */
function unionMs(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [s, e] of sorted) {
    if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    }
  }
  return total + (cur ? cur[1] - cur[0] : 0);
}

export function cycleOverhead(workflowId: string, events: readonly HistoryEvent[]): CycleOverhead {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) throw new Error(`workflow ${workflowId} has an empty history`);
  const scheduled = new Map<string, number>();
  const started = new Map<string, number>();
  const intervals: [number, number][] = [];
  const typeOf = new Map<string, string>();
  const byActivity: Record<string, number> = {};
  let training = 0;
  let lastEvaluation = 0;
  let queueMs = 0;
  for (const e of events) {
    const id = String(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduled.set(id, ms(e));
        typeOf.set(id, e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const sid = String(e.activityTaskStartedEventAttributes?.scheduledEventId);
        started.set(sid, ms(e));
        queueMs += ms(e) - (scheduled.get(sid) ?? ms(e));
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const attrs =
          e.activityTaskCompletedEventAttributes ??
          e.activityTaskFailedEventAttributes ??
          e.activityTaskTimedOutEventAttributes;
        const sid = String(attrs?.scheduledEventId);
        const s = started.get(sid);
        if (s === undefined) break;
        intervals.push([s, ms(e)]);
        const type = typeOf.get(sid) ?? '?';
        byActivity[type] = (byActivity[type] ?? 0) + ms(e) - s;
        if (type === 'fineTuneChallenger') training += ms(e) - s;
        if (type === 'evaluateOnSplits') lastEvaluation = ms(e) - s;
        break;
      }
    }
  }
  const wallMs = ms(last) - ms(first);
  const activityMs = unionMs(intervals);
  return {
    workflowId,
    wallMs,
    activityMs,
    overheadMs: wallMs - activityMs,
    queueMs,
    activities: intervals.length,
    outsideTrainingMs: wallMs - training - lastEvaluation,
    byActivity,
  };
}

/** The latest `count` completed retrain cycles on the server, newest first. */
export async function latestCycleOverheads(client: Client, count: number): Promise<CycleOverhead[]> {
  const out: CycleOverhead[] = [];
  const query = `WorkflowType = 'retrainWorkflow' AND ExecutionStatus = 'Completed'`;
  for await (const wf of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    out.push(cycleOverhead(wf.workflowId, history.events ?? []));
    if (out.length >= count) break;
  }
  return out;
}
