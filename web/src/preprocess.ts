/**
 * A drawing turned into an MNIST digit the way the MNIST images were made (LeCun et al.): the ink's bounding
 * box is scaled to fit 20×20 keeping its aspect ratio (anti-aliased by area averaging), then placed in a
 * 28×28 field so that its centre of mass sits at the field's centre. Pure and DOM-free: the page runs it
 * on the canvas pixels, jest runs it on arrays.
 */

export const SIDE = 28;
export const BOX = 20;
/** Where the centre of mass goes, in pixel indices. */
export const CENTRE = 14;

/** A grayscale picture: `width × height` intensities, row-major, ink high (white digit on black). */
export interface Gray {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

export interface InkBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Smallest rectangle holding every pixel above `threshold`, or null when there is no ink at all. */
export function inkBox(img: Gray, threshold = 0): InkBox | null {
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Area-averaging resample of a window of `img` to `width × height`: each output pixel is the mean of the
 * source area it covers (fractional overlaps weighted), which anti-aliases a shrink and stays exact for
 * an enlargement.
 */
export function resampleArea(img: Gray, box: InkBox, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  const sx = box.width / width;
  const sy = box.height / height;
  for (let ty = 0; ty < height; ty++) {
    const fy0 = ty * sy;
    const fy1 = fy0 + sy;
    for (let tx = 0; tx < width; tx++) {
      const fx0 = tx * sx;
      const fx1 = fx0 + sx;
      let sum = 0;
      for (let y = Math.floor(fy0); y < Math.ceil(fy1); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        const row = (box.y + y) * img.width + box.x;
        for (let x = Math.floor(fx0); x < Math.ceil(fx1); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          sum += img.data[row + x]! * wx * wy;
        }
      }
      out[ty * width + tx] = sum / (sx * sy);
    }
  }
  return out;
}

/**
 * Centre of mass of a `width × height` picture in pixel indices (the centre of pixel i is i), the
 * convention MNIST was centred in: its digits have their centre of mass at (14, 14). Null when all zero.
 */
export function centreOfMass(
  data: ArrayLike<number>,
  width: number,
  height: number,
): { x: number; y: number } | null {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x]!;
      m += v;
      mx += v * x;
      my += v * y;
    }
  }
  return m > 0 ? { x: mx / m, y: my / m } : null;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The 28×28 MNIST-style digit (784 bytes, 0..255) of a drawing, or null for a blank one. `threshold` is
 * the intensity above which a pixel counts as ink for the bounding box (anti-aliasing fringes below it do
 * not widen the box).
 */
export function toMnistDigit(img: Gray, threshold = 0): Uint8Array | null {
  if (img.data.length !== img.width * img.height) {
    throw new Error(
      `expected ${img.width}×${img.height} = ${img.width * img.height} values, got ${img.data.length}`,
    );
  }
  const box = inkBox(img, threshold);
  if (!box) return null;
  const scale = BOX / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const small = resampleArea(img, box, w, h);
  const com = centreOfMass(small, w, h);
  if (!com) return null;
  // Whole-pixel shift, as the MNIST tools did: no second resampling blurs the strokes. A very lopsided
  // digit would be pushed partly out of the field: the shift is clamped so that no ink is lost.
  const dx = clamp(Math.round(CENTRE - com.x), 0, SIDE - w);
  const dy = clamp(Math.round(CENTRE - com.y), 0, SIDE - h);
  const out = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[(y + dy) * SIDE + x + dx] = clamp(Math.round(small[y * w + x]!), 0, 255);
    }
  }
  return out;
}
