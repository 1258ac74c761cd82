/** Bad activity input that no retry can fix; its name is in NON_RETRYABLE_ERROR_TYPES. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
