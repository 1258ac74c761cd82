/** Decoding helper for the PNG tests: the renderers are checked on decoded pixels, not on their own raster. */
import { PNG } from 'pngjs';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface Decoded {
  readonly width: number;
  readonly height: number;
  pixel(x: number, y: number): [number, number, number];
}

export function decodePng(bytes: Buffer): Decoded {
  const png = PNG.sync.read(bytes);
  return {
    width: png.width,
    height: png.height,
    pixel(x, y) {
      const i = (y * png.width + x) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    },
  };
}
