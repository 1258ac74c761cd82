import { IMAGE_BYTES } from '../../src/domain/data/types';

/** The record size limit the stream unit tests decode with. */
export const RECORD_LIMITS = { maxRecordBytes: 4096 };

/** A deterministic 28×28 image: pixel i is (i × step) mod 256. */
export const testImage = (step: number) =>
  Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => (i * step) % 256);
