/**
 * A labelled drawing sent to POST /api/samples, validated before anything reaches Kafka: the label is a
 * digit, the pixels are exactly the 28×28 bytes of record format v1 and hold some ink.
 */
import { z } from 'zod';
import { IMAGE_BYTES, NUM_CLASSES } from '../../domain/data/types';

/** Fewer lit pixels than this is an empty or nearly empty canvas, not a digit (MNIST digits light ≥ 40). */
export const MIN_INK_PIXELS = 12;

const schema = z
  .object({
    label: z
      .number({ error: `label must be a number 0..${NUM_CLASSES - 1}` })
      .int(`label must be a whole number 0..${NUM_CLASSES - 1}`)
      .min(0, `label must be 0..${NUM_CLASSES - 1}`)
      .max(NUM_CLASSES - 1, `label must be 0..${NUM_CLASSES - 1}`),
    pixels: z
      .array(
        z
          .number({ error: 'pixels must be numbers 0..255' })
          .int('pixels must be whole numbers 0..255')
          .min(0, 'pixels must be 0..255')
          .max(255, 'pixels must be 0..255'),
        { error: `pixels must be an array of ${IMAGE_BYTES} numbers (28×28, row-major)` },
      )
      .length(IMAGE_BYTES, `pixels must hold exactly ${IMAGE_BYTES} values (28×28, row-major)`),
  })
  .strict();

export interface Submission {
  readonly label: number;
  /** IMAGE_BYTES bytes, white digit on black. */
  readonly pixels: Uint8Array;
}

export class SubmissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubmissionError';
  }
}

/** The submission in a request body, or a SubmissionError naming the first problem and its fix. */
export function parseSubmission(body: unknown): Submission {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SubmissionError(
      `expected a JSON object {"label": 0..9, "pixels": [${IMAGE_BYTES} numbers 0..255]}`,
    );
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'body';
    const msg =
      issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new SubmissionError(`${where}: ${msg}`);
  }
  const pixels = Uint8Array.from(r.data.pixels);
  const ink = pixels.reduce((n, p) => n + (p > 0 ? 1 : 0), 0);
  if (ink < MIN_INK_PIXELS) {
    throw new SubmissionError(
      `pixels: only ${ink} pixel(s) are lit, at least ${MIN_INK_PIXELS} are needed: draw a digit before submitting`,
    );
  }
  return { label: r.data.label, pixels };
}
