/** Failures of MLflow calls, typed so callers can branch on `errorCode` and decide about retries. */

/** Codes MLflow itself returns in `error_code`, plus the client-side ones this adapter adds. */
export type MlflowErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE'
  | 'INVALID_STATE'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'INTERNAL_ERROR'
  | 'BAD_REQUEST'
  | 'ENDPOINT_NOT_FOUND'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'REQUEST_LIMIT_EXCEEDED'
  // Derived from the HTTP status when the body carries no error_code.
  | 'NOT_FOUND'
  // Added by this adapter: no MLflow answer at all.
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  // Added by this adapter: MLflow answered, but not in the shape we rely on.
  | 'UNEXPECTED_RESPONSE'
  | (string & {});

export interface MlflowErrorDetails {
  /** HTTP status; undefined when no response came back (network error, timeout). */
  status: number | undefined;
  errorCode: MlflowErrorCode;
  /** MLflow's own message, or ours for client-side failures. */
  serverMessage: string;
  /** HTTP method and path (never the query string, which may carry names the caller did not mean to log). */
  endpoint: string;
  hint?: string;
  cause?: unknown;
}

export class MlflowError extends Error {
  readonly status: number | undefined;
  readonly errorCode: MlflowErrorCode;
  readonly serverMessage: string;
  readonly endpoint: string;

  constructor(d: MlflowErrorDetails) {
    const what = d.status === undefined ? d.errorCode : `HTTP ${d.status} ${d.errorCode}`;
    super(`MLflow ${d.endpoint} failed: ${what}: ${d.serverMessage}${d.hint ? ` (${d.hint})` : ''}`, {
      cause: d.cause,
    });
    this.name = 'MlflowError';
    this.status = d.status;
    this.errorCode = d.errorCode;
    this.serverMessage = d.serverMessage;
    this.endpoint = d.endpoint;
  }

  /**
   * Whether trying the same call again may succeed: no answer, or a server-side failure. A 4xx means the
   * request itself is wrong and repeating it would fail the same way, so callers should not retry it.
   */
  get retryable(): boolean {
    if (this.errorCode === 'ABORTED') return false;
    if (this.status === undefined) return true;
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }

  /**
   * True when MLflow said the named thing does not exist. A bare 404 is not enough: that is also what a
   * missing route (wrong server, wrong version) answers.
   */
  get isNotFound(): boolean {
    return this.errorCode === 'RESOURCE_DOES_NOT_EXIST';
  }

  get isAlreadyExists(): boolean {
    return this.errorCode === 'RESOURCE_ALREADY_EXISTS';
  }
}

export { MlflowInputError } from '../../domain/tracking/tracker';
