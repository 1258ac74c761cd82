/**
 * The split manifest: which canonical indices each split holds, for which seed, sizes and source files.
 * Once written it is the source of truth for the splits (not the PRNG): models in the registry were trained
 * and validated on exactly these indices, even if a later pure-rand changed its output.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from '../../durable-file';
import { MnistDataError } from './errors';
import { indexListSha256, type SplitIndices, type SplitSizes } from './split';
import type { SplitName } from './types';

export const MANIFEST_VERSION = 1;
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'stream', 'test'];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');
const count = z.number().int().min(0);
const splitEntry = z.object({
  /** Which canonical set the indices point into. */
  source: z.enum(['train', 'test']),
  count,
  sha256,
  indices: z.array(count),
});
export const splitManifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  /** sha256 over seed, sizes, sources and the per-split hashes: one value to record as data lineage. */
  id: sha256,
  seed: count,
  sizes: z.object({ stream: count, validation: count }),
  /** Canonical file name → sha256 of its raw bytes. */
  sources: z.record(z.string(), sha256),
  splits: z.object({ train: splitEntry, validation: splitEntry, stream: splitEntry, test: splitEntry }),
});
export type SplitManifest = z.infer<typeof splitManifestSchema>;

/** What a manifest must have been made for to be reused. */
export interface ManifestKey {
  readonly seed: number;
  readonly sizes: SplitSizes;
  readonly sources: Readonly<Record<string, string>>;
}

export function splitManifestPath(dataDir: string): string {
  return path.join(dataDir, 'split-manifest.json');
}

function sortedSources(sources: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(sources).sort(([a], [b]) => a.localeCompare(b)));
}

function manifestId(m: Omit<SplitManifest, 'id'>): string {
  const canonical = JSON.stringify({
    version: m.version,
    seed: m.seed,
    sizes: { stream: m.sizes.stream, validation: m.sizes.validation },
    sources: sortedSources(m.sources),
    splits: SPLIT_NAMES.map((s) => [s, m.splits[s].source, m.splits[s].count, m.splits[s].sha256]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export function buildManifest(key: ManifestKey, splits: SplitIndices): SplitManifest {
  const entry = (source: 'train' | 'test', indices: readonly number[]) => ({
    source,
    count: indices.length,
    sha256: indexListSha256(indices),
    indices: [...indices],
  });
  const body = {
    version: MANIFEST_VERSION as typeof MANIFEST_VERSION,
    seed: key.seed,
    sizes: { stream: key.sizes.stream, validation: key.sizes.validation },
    sources: sortedSources(key.sources),
    splits: {
      train: entry('train', splits.train),
      validation: entry('train', splits.validation),
      stream: entry('train', splits.stream),
      test: entry('test', splits.test),
    },
  };
  const { version, ...rest } = body;
  return { version, id: manifestId(body), ...rest };
}

/** Internal consistency: hashes, counts, id, and no canonical training image in two splits. */
export function checkManifest(m: SplitManifest, file: string): void {
  const problems: string[] = [];
  for (const name of SPLIT_NAMES) {
    const s = m.splits[name];
    if (s.count !== s.indices.length) problems.push(`${name}.count is ${s.count} but it lists ${s.indices.length}`);
    if (indexListSha256(s.indices) !== s.sha256) problems.push(`${name}.sha256 does not match its indices`);
  }
  if (manifestId(m) !== m.id) problems.push('id does not match the contents');
  const seen = new Set<number>();
  for (const name of ['train', 'validation', 'stream'] as const) {
    for (const i of m.splits[name].indices) {
      if (seen.has(i)) {
        problems.push(`training image ${i} appears twice (${name} overlaps another split)`);
        break;
      }
      seen.add(i);
    }
  }
  if (problems.length) {
    throw new MnistDataError(
      'manifest-invalid',
      file,
      `split manifest is inconsistent: ${problems.join('; ')}`,
      'It was edited or damaged. Restore it from backup, or delete it to generate a fresh split ' +
        '(models trained on the old split are then no longer comparable).',
    );
  }
}

/** Differences between what a manifest was made for and what is asked now; empty when it can be reused. */
export function manifestDifferences(m: SplitManifest, want: ManifestKey): string[] {
  const diffs: string[] = [];
  if (m.seed !== want.seed) diffs.push(`seed ${m.seed} (now SEED=${want.seed})`);
  if (m.sizes.stream !== want.sizes.stream) diffs.push(`stream size ${m.sizes.stream} (now STREAM_SIZE=${want.sizes.stream})`);
  if (m.sizes.validation !== want.sizes.validation)
    diffs.push(`validation size ${m.sizes.validation} (now VALIDATION_SIZE=${want.sizes.validation})`);
  const names = new Set([...Object.keys(m.sources), ...Object.keys(want.sources)]);
  for (const name of [...names].sort()) {
    if (m.sources[name] !== want.sources[name]) {
      diffs.push(`${name} with sha256 ${m.sources[name] ?? '(none)'} (now ${want.sources[name] ?? '(none)'})`);
    }
  }
  return diffs;
}

/** The manifest at `file`, schema- and consistency-checked; null when there is none. */
export async function readManifest(file: string): Promise<SplitManifest | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MnistDataError(
      'manifest-invalid',
      file,
      `split manifest is not valid JSON (${(e as Error).message})`,
      'Restore it from backup, or delete it to generate a fresh split.',
    );
  }
  const parsed = splitManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new MnistDataError(
      'manifest-invalid',
      file,
      `split manifest does not match the expected shape: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      'Restore it from backup, or delete it to generate a fresh split.',
    );
  }
  checkManifest(parsed.data, file);
  return parsed.data;
}

/**
 * Pretty-printed header, each index list on one line (70 000 numbers one per line would bury the header).
 * Written to a temp file in the same folder and renamed, so readers never see half a manifest.
 */
export async function writeManifest(file: string, m: SplitManifest): Promise<void> {
  const placeholder = (name: string) => `@@indices:${name}@@`;
  const shallow = {
    ...m,
    splits: Object.fromEntries(SPLIT_NAMES.map((s) => [s, { ...m.splits[s], indices: placeholder(s) }])),
  };
  let text = JSON.stringify(shallow, null, 2);
  for (const s of SPLIT_NAMES) text = text.replace(JSON.stringify(placeholder(s)), JSON.stringify(m.splits[s].indices));
  await writeFileDurable(file, `${text}\n`);
}
