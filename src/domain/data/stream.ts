/** The stream split as individual samples with stable ids, for publishing to Kafka. */
import { MnistDataError } from './errors';
import type { SplitManifest } from './manifest';
import { IMAGE_BYTES, type MnistSet, type StreamSample } from './types';

const ID_PATTERN = /^stream-(0|[1-9]\d*)$/;

/** Named after the canonical training index, so the id does not depend on publishing order or batch size. */
export function streamSampleId(canonicalIndex: number): string {
  return `stream-${canonicalIndex}`;
}

/** The canonical training index in a stream sample id, or null when the id is not one. */
export function parseStreamSampleId(id: string): number | null {
  const m = ID_PATTERN.exec(id);
  return m ? Number(m[1]) : null;
}

/**
 * Samples `start` .. `start + count - 1` of the stream split, in publishing order. `stream` is the set
 * prepareSplits made from `manifest` (position i holds canonical image manifest.splits.stream.indices[i]).
 */
export function streamSamples(
  prepared: { readonly stream: MnistSet; readonly manifest: SplitManifest },
  start = 0,
  count = prepared.stream.count - start,
): StreamSample[] {
  const { stream, manifest } = prepared;
  const indices = manifest.splits.stream.indices;
  if (indices.length !== stream.count) {
    throw new MnistDataError(
      'bad-request',
      'stream split',
      `the set has ${stream.count} samples but the manifest lists ${indices.length}`,
      'Pass the stream set and manifest returned by the same prepareSplits call.',
    );
  }
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > stream.count) {
    throw new MnistDataError(
      'bad-request',
      'stream split',
      `samples ${start}..${start + count - 1} asked for, but the split holds 0..${stream.count - 1}`,
      'Ask for a range inside the stream split.',
    );
  }
  const out: StreamSample[] = [];
  for (let p = start; p < start + count; p++) {
    const index = indices[p]!;
    out.push({
      id: streamSampleId(index),
      index,
      label: stream.labels[p]!,
      image: stream.images.subarray(p * IMAGE_BYTES, (p + 1) * IMAGE_BYTES),
    });
  }
  return out;
}
