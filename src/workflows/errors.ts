/**
 * Failure types the workflows raise or refuse to retry, declared beside the workflows as in Temporal's
 * samples. The names live in src/shared.ts so activities and clients agree on them.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared';

export const NON_RETRYABLE = [...NON_RETRYABLE_ERROR_TYPES];

/** A workflow input no retry can fix: fail the workflow at once with what to change. */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidInputError');
}
