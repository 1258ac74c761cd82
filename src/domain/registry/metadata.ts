import { z } from 'zod';

export const VERSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** metadata.json of a model version: enough to tell what it is, how it scored and where it came from. */
const scoreSchema = z.object({
  accuracy: z.number(),
  loss: z.number(),
  count: z.number().int(),
  perClassAccuracy: z.array(z.number().nullable()).optional(),
});

export const modelMetadataSchema = z.object({
  versionId: z
    .string()
    .regex(
      VERSION_ID,
      'a version id is 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  createdAt: z.iso.datetime(),
  metrics: z.record(z.string(), z.number()),
  /** Validation and test scores on the split manifest of lineage.splitManifestHash (absent in older versions). */
  scores: z.object({ validation: scoreSchema, test: scoreSchema }).optional(),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string()])),
  seed: z.number().int(),
  lineage: z.looseObject({
    /** sha256 of the split manifest the model was trained from. */
    splitManifestHash: z.string().nullable(),
    /** Stream batches the model has seen, in order. */
    batchIds: z.array(z.string()),
    /** The champion a fine-tuned model started from; null for a model trained from scratch. */
    parentVersionId: z.string().nullable(),
  }),
  gitCommit: z.string().min(1),
});

export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

/** What the store adds when it writes a version. */
export interface StoredMetadata extends ModelMetadata {
  /** sha256 over the model files (names and bytes), to detect a changed re-store. */
  readonly contentSha256: string;
}

export const storedMetadataSchema = modelMetadataSchema.extend({
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const promotionSchema = z.object({
  versionId: z.string(),
  previousVersionId: z.string().nullable(),
  promotedAt: z.iso.datetime(),
});
export type Promotion = z.infer<typeof promotionSchema>;
