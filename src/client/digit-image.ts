/**
 * One 28×28 digit for `predict`, from an MNIST IDX images file (raw or gzip) or a PNG. The format is told
 * by the file's magic bytes, not its name, so a mislabelled file is refused with what it really is.
 */
import fs from 'node:fs/promises';
import { PNG } from 'pngjs';
import { MnistDataError, parseIdxImages, readIdxBytes } from '../domain/data';
import { IMAGE_BYTES, IMAGE_SIDE } from '../domain/data/types';
import { badInput } from './errors';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IDX_IMAGES_MAGIC = [0x00, 0x00, 0x08, 0x03];

export interface DigitImage {
  /** IMAGE_BYTES pixels, white digit on black like MNIST. */
  readonly pixels: Uint8Array;
  readonly source: string;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((b, i) => bytes[i] === b);

export async function loadDigitImage(file: string, index = 0): Promise<DigitImage> {
  if (!Number.isInteger(index) || index < 0)
    throw badInput(`--index must be a whole number ≥ 0, got ${index}`);
  let head: Buffer;
  try {
    head = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw badInput(`cannot read ${file} (${code}): give the path of a PNG or an MNIST IDX images file`);
  }
  if (startsWith(head, PNG_SIGNATURE)) {
    if (index !== 0) throw badInput(`--index ${index} is for IDX files; a PNG holds one image`);
    return { pixels: pngToDigit(head, file), source: `${file} (PNG)` };
  }
  if (startsWith(head, IDX_IMAGES_MAGIC) || (head[0] === 0x1f && head[1] === 0x8b)) {
    return { pixels: await idxDigit(file, index), source: `${file} (IDX image #${index})` };
  }
  throw badInput(`${file} is neither a PNG nor an MNIST IDX images file (idx3, raw or .gz)`);
}

async function idxDigit(file: string, index: number): Promise<Uint8Array> {
  try {
    const { count, images } = parseIdxImages(await readIdxBytes(file), file);
    if (index >= count)
      throw badInput(`--index ${index} is out of range: ${file} holds ${count} images (0..${count - 1})`);
    return images.slice(index * IMAGE_BYTES, (index + 1) * IMAGE_BYTES);
  } catch (e) {
    if (e instanceof MnistDataError) throw badInput(e.message);
    throw e;
  }
}

/**
 * Grayscale (alpha over a background of the image's own border colour), inverted when the digit is dark on
 * light, then box-downsampled to 28×28. Written here because pngjs only decodes and the reduction is a few
 * lines; an image library with native code would be a heavy dependency for one resize.
 */
export function pngToDigit(bytes: Buffer, file = 'PNG'): Uint8Array {
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    throw badInput(`${file} is not a readable PNG (${e instanceof Error ? e.message : String(e)})`);
  }
  const { width, height, data } = png;
  if (width < 1 || height < 1) throw badInput(`${file} has no pixels`);
  const gray = new Float64Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const a = data[i * 4 + 3]! / 255;
    const lum = 0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!;
    // Transparent pixels count as background (0); opaque ones keep their luminance.
    gray[i] = lum * a;
  }
  const corners = [0, width - 1, (height - 1) * width, height * width - 1].map((i) => gray[i]!);
  const light = corners.reduce((s, v) => s + v, 0) / corners.length > 127;
  const out = new Uint8Array(IMAGE_BYTES);
  for (let y = 0; y < IMAGE_SIDE; y++) {
    const y0 = Math.floor((y * height) / IMAGE_SIDE);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / IMAGE_SIDE));
    for (let x = 0; x < IMAGE_SIDE; x++) {
      const x0 = Math.floor((x * width) / IMAGE_SIDE);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / IMAGE_SIDE));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += gray[yy * width + xx]!;
      const v = sum / ((y1 - y0) * (x1 - x0));
      out[y * IMAGE_SIDE + x] = Math.round(light ? 255 - v : v);
    }
  }
  return out;
}
