/**
 * Publishes samples to the stream, each sample id once unless a replay is asked for.
 *
 * Safe on retry: chunk by chunk, the ids are written to the ledger's published_samples only after
 * the broker acknowledged the chunk (acks=all), and every chunk first drops ids the ledger already
 * has. A retried call therefore skips every chunk that completed; only the one chunk in flight when
 * the process died can reach the topic twice, and the consumer dead-letters such copies as
 * duplicate-in-batch / duplicate-in-ledger, so no sample is trained on twice.
 */
import type { RecordPublisher } from './ports';
import type { BatchLedger } from '../ledger/port';
import { StreamError } from './errors';
import { encodeSample, type PublishableSample } from './record';

export interface PublishOptions {
  readonly topic: string;
  /** Goes into the `source` header, e.g. `stream-split`. */
  readonly source: string;
  readonly chunkSize: number;
  /** Send even ids that were published before (deliberate replay). */
  readonly replay?: boolean;
  readonly onChunk?: (progress: { published: number; skipped: number; total: number }) => void;
}

export interface PublishResult {
  readonly published: number;
  readonly skipped: number;
}

export async function publishSamples(
  deps: { readonly ledger: BatchLedger; readonly producer: RecordPublisher },
  samples: readonly PublishableSample[],
  opts: PublishOptions,
): Promise<PublishResult> {
  if (!Number.isInteger(opts.chunkSize) || opts.chunkSize < 1) {
    throw new StreamError(
      'bad-request',
      `chunk size ${opts.chunkSize} is not a positive integer`,
      'Check KAFKA_PUBLISH_CHUNK',
    );
  }
  const ids = new Set<string>();
  for (const s of samples) {
    if (ids.has(s.id)) {
      throw new StreamError(
        'bad-request',
        `sample id ${s.id} appears twice in one publish request`,
        'Pass each sample once',
      );
    }
    ids.add(s.id);
  }
  // Encode everything first: a bad sample fails the call before anything is sent.
  const records = samples.map((s) => encodeSample(s, opts.source));
  let published = 0;
  let skipped = 0;
  for (let i = 0; i < records.length; i += opts.chunkSize) {
    const chunk = records.slice(i, i + opts.chunkSize);
    const already = opts.replay
      ? new Set<string>()
      : await deps.ledger.publishedAmong(chunk.map((r) => r.key));
    const fresh = chunk.filter((r) => !already.has(r.key));
    if (fresh.length) {
      await deps.producer.send(opts.topic, fresh);
      await deps.ledger.recordPublished(
        fresh.map((r) => r.key),
        opts.topic,
      );
    }
    published += fresh.length;
    skipped += chunk.length - fresh.length;
    opts.onChunk?.({ published, skipped, total: records.length });
  }
  return { published, skipped };
}
