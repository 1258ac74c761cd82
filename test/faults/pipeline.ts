/** Starting workflows on the suite's Temporal server and reading what they did (progress, history). */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../src/config';
import { PROGRESS_QUERY, TASK_QUEUES, type WorkflowProgress } from '../../src/shared';

export interface ActivityRun {
  readonly type: string;
  /** Attempts the server started (1 when the first one succeeded). */
  readonly attempts: number;
  readonly result?: unknown;
  /** Server times (ms) of the last attempt's start and of the completion, when there was one. */
  readonly startedAt?: number;
  readonly completedAt?: number;
}

type EventTime =
  { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const ms = (t: EventTime): number | undefined =>
  t?.seconds == null ? undefined : Number(t.seconds.toString()) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);

export class Pipeline {
  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
  ) {}

  static async connect(cfg: Config): Promise<Pipeline> {
    const connection = await Connection.connect({ address: cfg.temporal.address });
    return new Pipeline(new Client({ connection, namespace: cfg.temporal.namespace }), connection);
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  start(workflowType: string, workflowId: string, args: unknown[]): Promise<WorkflowHandle> {
    return this.client.workflow.start(workflowType, { taskQueue: TASK_QUEUES.io, workflowId, args });
  }

  handle(workflowId: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId);
  }

  progress(workflowId: string): Promise<WorkflowProgress> {
    return this.handle(workflowId).query<WorkflowProgress>(PROGRESS_QUERY);
  }

  /** Pending activities as the server sees them: type, attempt and last failure. */
  async pendingActivities(
    workflowId: string,
  ): Promise<{ type: string; attempt: number; lastFailure?: string }[]> {
    const d = await this.handle(workflowId).describe();
    return (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '?',
      attempt: a.attempt ?? 1,
      ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
    }));
  }

  /** Every activity the workflow ran, in order, with attempts and (JSON) result. */
  async activities(workflowId: string): Promise<ActivityRun[]> {
    const history = await this.handle(workflowId).fetchHistory();
    const scheduled = new Map<
      string,
      { type: string; attempts: number; result?: unknown; startedAt?: number; completedAt?: number }
    >();
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        scheduled.set(id, {
          type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
          attempts: 0,
        });
      } else if (e.activityTaskStartedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (s) {
          s.attempts = e.activityTaskStartedEventAttributes.attempt ?? 1;
          s.startedAt = ms(e.eventTime);
        }
      } else if (e.activityTaskCompletedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
        if (s) s.completedAt = ms(e.eventTime);
        const data = e.activityTaskCompletedEventAttributes.result?.payloads?.[0]?.data;
        // void results are binary/null payloads with no data
        if (s && data?.length) s.result = JSON.parse(Buffer.from(data).toString('utf8'));
      }
    }
    return [...scheduled.values()];
  }

  /**
   * Recovery time of a fault injected at `at` into these workflows: until the next successful completion of
   * the activity that noticed it (its retry), or of any activity when none was seen failing. undefined when
   * no activity completed after the injection.
   */
  async recoveryMs(
    workflowIds: readonly string[],
    at: number,
    noticedBy?: string,
  ): Promise<number | undefined> {
    const done: number[] = [];
    for (const id of workflowIds) {
      for (const a of await this.activities(id).catch(() => [] as ActivityRun[])) {
        if (a.completedAt !== undefined && a.completedAt > at && (!noticedBy || a.type === noticedBy))
          done.push(a.completedAt);
      }
    }
    return done.length ? Math.min(...done) - at : undefined;
  }

  /** Ends workflows a crashed earlier run left open, so they cannot act on this run's workers. */
  async terminateLeftovers(): Promise<number> {
    let n = 0;
    for await (const w of this.client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      await this.handle(w.workflowId)
        .terminate('left over by an earlier fault-suite run')
        .catch(() => undefined);
      n += 1;
    }
    return n;
  }
}
