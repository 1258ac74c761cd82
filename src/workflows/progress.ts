/** The `progress` query every workflow answers, fed by the workflow itself and by training heartbeats. */
import { defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import {
  PROGRESS_QUERY,
  TRAINING_PROGRESS_SIGNAL,
  type TrainingProgress,
  type WorkflowProgress,
} from '../shared';

export const progressQuery = defineQuery<WorkflowProgress>(PROGRESS_QUERY);
export const trainingProgressSignal = defineSignal<[TrainingProgress]>(TRAINING_PROGRESS_SIGNAL);

export interface ProgressTracker {
  stage(name: string): void;
  count(name: string, value: number): void;
  readonly current: WorkflowProgress;
}

/** Installs the query and signal handlers; call first thing in a workflow. */
export function trackProgress(workflow: WorkflowProgress['workflow']): ProgressTracker {
  let stage = 'starting';
  let training: TrainingProgress | undefined;
  const counts: Record<string, number> = {};
  const snapshot = (): WorkflowProgress => ({
    workflow,
    stage,
    counts: { ...counts },
    ...(training ? { training } : {}),
  });
  setHandler(progressQuery, snapshot);
  setHandler(trainingProgressSignal, (p) => {
    training = p;
  });
  return {
    stage(name) {
      stage = name;
      // Training figures belong to the stage that trained; a new stage starts without them.
      training = undefined;
    },
    count(name, value) {
      counts[name] = value;
    },
    get current() {
      return snapshot();
    },
  };
}
