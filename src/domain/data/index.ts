/** The MNIST data layer: canonical files, checks, seeded splits and the stream split's samples. */
export { MnistDataError, type MnistProblemKind } from './errors';
export { MNIST_FILES, type MnistFileId, type MnistFileSpec } from './files';
export { parseIdxImages, parseIdxLabels, readIdxBytes, readMnistSet } from './idx';
export { loadMnist, type LoadedMnist, type MnistDataConfig, type MnistLoadOptions } from './load';
export { readManifest, splitManifestPath, type SplitManifest } from './manifest';
export { type Download } from './sources';
export { prepareSplits, type PreparedData, type PrepareOptions } from './prepare';
export { computeSplits, indexListSha256, seededPermutation, type SplitIndices, type SplitSizes } from './split';
export { parseStreamSampleId, streamSampleId, streamSamples } from './stream';
export { concatSets } from './concat';
export { subset } from './subset';
export * from './types';
