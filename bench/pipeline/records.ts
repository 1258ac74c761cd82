/**
 * The benchmark's stream: N distinct valid samples published the way the stream split is (publishSamples,
 * ledger dedupe included), then a few poison records, one per kind the consumer must dead-letter.
 */
import type { RecordPublisher } from '../../src/domain/stream/ports';
import type { WireRecord } from '../../src/domain/stream/record';
import { IMAGE_BYTES } from '../../src/domain/data/types';
import type { Ledger } from '../../src/adapters/pg/ledger';
import { publishSamples } from '../../src/domain/stream/publish';
import { encodeSample, type PoisonReason, type PublishableSample } from '../../src/domain/stream/record';

export interface PublishedRun {
  /** Valid plus poison. */
  readonly total: number;
  readonly poison: number;
  /** Reasons the poison records must get, in offset order. */
  readonly poisonReasons: readonly PoisonReason[];
  readonly firstId: string;
  readonly lastId: string;
  /** Value + key + headers of one valid record. */
  readonly recordBytes: number;
  /** Of the valid records only (publishSamples). */
  readonly wallMs: number;
  readonly cpuMs: number;
}

function sample(run: string, i: number): PublishableSample {
  const image = new Uint8Array(IMAGE_BYTES);
  for (let p = 0; p < IMAGE_BYTES; p++) image[p] = (p * 13 + i) & 0xff;
  return { id: `bench-${run}-${i}`, label: i % 10, image };
}

/** Poison after the valid records, each breaking exactly one rule. */
function poisonRecords(run: string, first: PublishableSample): [PoisonReason, WireRecord][] {
  const ok = encodeSample({ ...sample(run, 1), id: `bench-${run}-poison` }, 'bench');
  return [
    ['label-not-digit', { ...ok, headers: { ...ok.headers, label: 'x' } }],
    ['wrong-value-length', { ...ok, value: Buffer.alloc(10) }],
    ['schema-missing', { ...ok, headers: { label: '1', source: 'bench' } }],
    ['invalid-key', { ...ok, key: 'not a sample id!' }],
    ['duplicate-in-batch', encodeSample(first, 'bench')],
  ];
}

export async function publishBenchRecords(
  deps: { readonly ledger: Ledger; readonly producer: RecordPublisher },
  opts: { readonly topic: string; readonly run: string; readonly count: number; readonly chunkSize: number },
): Promise<PublishedRun> {
  const samples = Array.from({ length: opts.count }, (_, i) => sample(opts.run, i));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pub = await publishSamples(deps, samples, {
    topic: opts.topic,
    source: 'bench',
    chunkSize: opts.chunkSize,
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (pub.published !== opts.count) {
    throw new Error(
      `published ${pub.published} of ${opts.count} records (${pub.skipped} skipped as seen before)`,
    );
  }
  const poison = poisonRecords(opts.run, samples[0]!);
  await deps.producer.send(
    opts.topic,
    poison.map(([, m]) => m),
  );
  const one = encodeSample(samples[0]!, 'bench');
  const headerBytes = Object.entries(one.headers).reduce((s, [k, v]) => s + k.length + v.length, 0);
  return {
    total: opts.count + poison.length,
    poison: poison.length,
    poisonReasons: poison.map(([r]) => r),
    firstId: samples[0]!.id,
    lastId: samples.at(-1)!.id,
    recordBytes: one.value.length + Buffer.byteLength(one.key) + headerBytes,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}
