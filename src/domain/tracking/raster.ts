/**
 * A small RGB drawing surface for the PNG artifacts: filled rectangles, bitmap text and upscaled grey
 * images, encoded by pngjs (pure JS, so no native canvas to build). Encoding options are fixed, so the
 * same drawing always gives the same bytes.
 */
import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, glyph } from './bitmap-font';

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export class Raster {
  readonly data: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new Error(`a raster needs a positive integer size, got ${width}×${height}`);
    }
    this.data = Buffer.alloc(width * height * 3);
    this.fill(0, 0, width, height, background);
  }

  /** Sets one pixel; outside the raster it does nothing (labels may be clipped, never wrap around). */
  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  fill(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.set(xx, yy, color);
  }

  /** Draws `text` with its top-left corner at (x, y); each font pixel becomes scale × scale pixels. */
  text(x: number, y: number, text: string, color: Rgb, scale = 1): void {
    [...text].forEach((ch, n) => {
      glyph(ch).forEach((row, gy) => {
        for (let gx = 0; gx < row.length; gx++) {
          if (row[gx] === '#')
            this.fill(x + (n * GLYPH_ADVANCE + gx) * scale, y + gy * scale, scale, scale, color);
        }
      });
    });
  }

  /** Draws a side × side grey image (0 = black, 255 = white), each pixel as scale × scale pixels. */
  grey(x: number, y: number, pixels: Uint8Array, side: number, scale = 1): void {
    if (pixels.length !== side * side) {
      throw new Error(`a ${side}×${side} grey image needs ${side * side} bytes, got ${pixels.length}`);
    }
    for (let py = 0; py < side; py++) {
      for (let px = 0; px < side; px++) {
        const v = pixels[py * side + px]!;
        this.fill(x + px * scale, y + py * scale, scale, scale, [v, v, v]);
      }
    }
  }

  /**
   * 8-bit RGB PNG with fixed zlib settings, so the bytes depend on the pixels alone. Pixels stay RGB and
   * rows unfiltered: pngjs's RGBA-to-RGB packing and its Paeth/adaptive filters run per byte in JS and
   * took seconds per image under jest's VM sandbox. zlib's default strategy instead of pngjs's RLE
   * default finds the 3-byte colour repeats itself (measured: confusion matrix 9 KB vs 15 KB adaptive).
   */
  toPng(): Buffer {
    const png = new PNG({
      width: this.width,
      height: this.height,
      colorType: 2,
      inputColorType: 2,
      inputHasAlpha: false,
    });
    png.data = this.data;
    return PNG.sync.write(png, {
      colorType: 2,
      inputColorType: 2,
      inputHasAlpha: false,
      deflateLevel: 9,
      deflateStrategy: 0,
      filterType: 0,
    });
  }
}
