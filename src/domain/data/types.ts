/** A set of MNIST samples kept as raw bytes: tensors are made from it only where a model needs them. */
export interface MnistSet {
  /** count × 28 × 28 pixel bytes (0..255), row-major, sample after sample. */
  readonly images: Uint8Array;
  /** count labels, 0..9. */
  readonly labels: Uint8Array;
  readonly count: number;
}

export const IMAGE_SIDE = 28;
export const IMAGE_BYTES = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_CLASSES = 10;

/** The four splits: promotion is decided on validation, reported on test; stream simulates new data. */
export type SplitName = 'train' | 'validation' | 'test' | 'stream';

/** One sample of the stream split, as published; `id` stays the same on every run with the same manifest. */
export interface StreamSample {
  /** `stream-<index>`, see streamSampleId. */
  readonly id: string;
  /** Index into the canonical 60 000 training images. */
  readonly index: number;
  readonly label: number;
  /** IMAGE_BYTES pixel bytes. */
  readonly image: Uint8Array;
}
