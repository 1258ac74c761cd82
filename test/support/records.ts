import { IMAGE_BYTES } from '../../src/domain/data/types';
import { encodeSample, type RawRecord } from '../../src/domain/stream/record';

/** The record size limit the stream unit tests decode with. */
export const RECORD_LIMITS = { maxRecordBytes: 4096 };

/** A deterministic 28×28 image: pixel i is (i × step) mod 256. */
export const testImage = (step: number) =>
  Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => (i * step) % 256);

/** A valid record of sample `id` as the consumer hands it over, its image filled with the label. */
export function sampleRecord(id: string, offset: number, label = 1, partition = 0): RawRecord {
  const enc = encodeSample({ id, label, image: new Uint8Array(IMAGE_BYTES).fill(label) }, 'tests');
  return {
    key: Buffer.from(enc.key),
    value: enc.value,
    headers: enc.headers,
    partition,
    offset: String(offset),
  };
}
