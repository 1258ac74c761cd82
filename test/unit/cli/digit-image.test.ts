import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { loadDigitImage } from '../../../src/client/digit-image';
import { ClientError } from '../../../src/client/errors';

const SIDE = 28;

/** idx3 bytes of `count` images; image k has every pixel set to k * 10. */
function idxImages(count: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(SIDE, 8);
  header.writeUInt32BE(SIDE, 12);
  const body = Buffer.alloc(count * SIDE * SIDE);
  for (let k = 0; k < count; k++) body.fill(k * 10, k * SIDE * SIDE, (k + 1) * SIDE * SIDE);
  return Buffer.concat([header, body]);
}

/** A size×size PNG: `paint(x, y)` gives [r, g, b, a]. */
function png(size: number, paint: (x: number, y: number) => [number, number, number, number]): Buffer {
  const img = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = paint(x, y);
      const i = (y * size + x) * 4;
      img.data[i] = r;
      img.data[i + 1] = g;
      img.data[i + 2] = b;
      img.data[i + 3] = a;
    }
  }
  return PNG.sync.write(img);
}

const at = (pixels: Uint8Array, x: number, y: number) => pixels[y * SIDE + x];

describe('loadDigitImage', () => {
  let dir: string;
  const write = (name: string, bytes: Buffer | string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'digit-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the first image of a raw IDX file, and the one --index names', async () => {
    const file = write('three.idx3-ubyte', idxImages(3));
    const first = await loadDigitImage(file);
    expect(first.pixels).toHaveLength(SIDE * SIDE);
    expect(new Set(first.pixels)).toEqual(new Set([0]));
    expect(new Set((await loadDigitImage(file, 2)).pixels)).toEqual(new Set([20]));
  });

  it('reads a gzip IDX file whatever its name', async () => {
    const file = write('digits.bin', gzipSync(idxImages(2)));
    expect(new Set((await loadDigitImage(file, 1)).pixels)).toEqual(new Set([10]));
  });

  it('refuses an --index past the end, giving the valid range', async () => {
    const file = write('two.idx', idxImages(2));
    await expect(loadDigitImage(file, 2)).rejects.toThrow(
      '--index 2 is out of range: ' + file + ' holds 2 images (0..1)',
    );
  });

  it('refuses a truncated IDX file as bad input', async () => {
    const file = write('cut.idx', idxImages(2).subarray(0, 100));
    const err = await loadDigitImage(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).kind).toBe('bad-input');
  });

  it('keeps a white-on-black 28×28 PNG as it is', async () => {
    // A vertical white bar in columns 10..13 on black, like an MNIST "1".
    const file = write(
      'one.png',
      png(SIDE, (x) => (x >= 10 && x < 14 ? [255, 255, 255, 255] : [0, 0, 0, 255])),
    );
    const { pixels } = await loadDigitImage(file);
    expect(at(pixels, 11, 5)).toBe(255);
    expect(at(pixels, 2, 5)).toBe(0);
  });

  it('inverts a dark-on-light RGB PNG and shrinks it to 28×28', async () => {
    // 56×56: black bar in columns 20..27 (28-px columns 10..13) on white; red-ish noise must read as gray.
    const file = write(
      'scan.png',
      png(56, (x) => (x >= 20 && x < 28 ? [0, 0, 0, 255] : [255, 255, 255, 255])),
    );
    const { pixels } = await loadDigitImage(file);
    expect(pixels).toHaveLength(SIDE * SIDE);
    expect(at(pixels, 11, 20)).toBe(255);
    expect(at(pixels, 3, 20)).toBe(0);
  });

  it('treats transparent pixels as background', async () => {
    const file = write(
      'alpha.png',
      png(SIDE, (x) => (x === 5 ? [255, 255, 255, 255] : [255, 255, 255, 0])),
    );
    const { pixels } = await loadDigitImage(file);
    expect(at(pixels, 5, 0)).toBe(255);
    expect(at(pixels, 6, 0)).toBe(0);
  });

  it('refuses --index on a PNG', async () => {
    const file = write(
      'x.png',
      png(SIDE, () => [0, 0, 0, 255]),
    );
    await expect(loadDigitImage(file, 1)).rejects.toThrow('--index 1 is for IDX files');
  });

  it('refuses a damaged PNG, a text file and a missing file as bad input', async () => {
    const damaged = write('broken.png', png(SIDE, () => [0, 0, 0, 255]).subarray(0, 40));
    const text = write('readme.png', 'hello');
    for (const [file, message] of [
      [damaged, 'is not a readable PNG'],
      [text, 'is neither a PNG nor an MNIST IDX images file'],
      [path.join(dir, 'nope.png'), 'cannot read'],
    ] as const) {
      const err = await loadDigitImage(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).kind).toBe('bad-input');
      expect((err as Error).message).toContain(message);
    }
  });
});
