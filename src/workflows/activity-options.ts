/**
 * Activity stubs with explicit timeouts and retry policies, one group per kind of work. Infrastructure
 * (Kafka, MLflow, PostgreSQL) may be briefly down: those retry with backoff for minutes. Bad input or
 * bad config never becomes good on retry: NON_RETRYABLE types fail at once.
 */
import { proxyActivities, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type { IoActivities, TrainingActivities } from '../activities/contracts';
import { NON_RETRYABLE } from './errors';

const infraRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
  nonRetryableErrorTypes: NON_RETRYABLE,
};

// No taskQueue: IO activities run on the workflow's own queue, which is TASK_QUEUES.io in production
// (the IO worker hosts the workflows) and a private queue in tests.
const io = (options: Omit<ActivityOptions, 'taskQueue' | 'retry'>, retry = infraRetry) =>
  proxyActivities<IoActivities>({ retry, ...options });

const quick = io({ startToCloseTimeout: '1 minute' });
const data = io(
  { startToCloseTimeout: '20 minutes' },
  // Downloading MNIST can fail on every mirror; a few tries, then a clear failure.
  { ...infraRetry, maximumAttempts: 4 },
);
// A broker restart can leave a dead consumer-group member holding the partition until the group evicts it
// (minutes, measured by the fault suite): Kafka work outlasts that instead of failing the cycle.
const stream = io(
  { startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute' },
  { ...infraRetry, maximumAttempts: 30 },
);
// takeBatch heartbeats every 5 s while it waits on Kafka: a dead IO worker is noticed in 20 s.
const take = io(
  { startToCloseTimeout: '10 minutes', heartbeatTimeout: '20 seconds' },
  { ...infraRetry, maximumAttempts: 30 },
);
const mlflow = io({ startToCloseTimeout: '10 minutes' });

/** The IO activities, each with the policy of its kind. */
export const ioActivities: IoActivities = {
  readSettings: quick.readSettings,
  prepareData: data.prepareData,
  getChampion: quick.getChampion,
  storeModelVersion: quick.storeModelVersion,
  promoteModel: quick.promoteModel,
  publishStreamSamples: stream.publishStreamSamples,
  consumerLag: quick.consumerLag,
  takeBatch: take.takeBatch,
  logBootstrapRun: mlflow.logBootstrapRun,
  logRetrainRun: mlflow.logRetrainRun,
  recordCycle: quick.recordCycle,
  markBatchesUsed: quick.markBatchesUsed,
  commitOffsets: quick.commitOffsets,
  cleanUpRun: quick.cleanUpRun,
};

/**
 * MLflow logging of a cycle that is already decided and committed: nothing waits on it any more, so it
 * retries until the server is back (at most a minute apart) instead of giving up after ten tries.
 */
export const mlflowCatchUpActivities: Pick<IoActivities, 'logRetrainRun'> = {
  logRetrainRun: io(
    { startToCloseTimeout: '10 minutes' },
    // No maximumAttempts: unlimited (the SDK refuses 0).
    {
      initialInterval: infraRetry.initialInterval,
      backoffCoefficient: infraRetry.backoffCoefficient,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  ).logRetrainRun,
};

/**
 * Training activities on the training queue of the configured device. They heartbeat every batch (the SDK
 * sends at most one per 0.8 × heartbeatTimeout), so a dead worker is noticed within heartbeatTimeout and
 * the retry resumes from the last checkpointed epoch: a SIGKILLed worker costs ~20 s of waiting, not the
 * 2 minutes it did (fault suite, case 1). Evaluations heartbeat between sets.
 */
export function trainingActivities(taskQueue: string): TrainingActivities {
  const retry: RetryPolicy = {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  };
  const train = proxyActivities<TrainingActivities>({
    taskQueue,
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: '20 seconds',
    retry,
  });
  const evaluate = proxyActivities<TrainingActivities>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry,
  });
  return {
    trainInitialModel: train.trainInitialModel,
    fineTuneChallenger: train.fineTuneChallenger,
    evaluateOnSplits: evaluate.evaluateOnSplits,
    evaluateOnBatch: evaluate.evaluateOnBatch,
  };
}
