import { IMAGE_BYTES, type MnistSet } from '../../../src/domain/data/types';
import {
  misclassifiedLayout,
  pickMisclassified,
  renderMisclassifiedPng,
  type MisclassifiedDigit,
} from '../../../src/domain/tracking/misclassified-png';
import { PNG_SIGNATURE, decodePng } from './png-reader';

/** Sample i is filled with grey level 10 × i and labelled i % 10. */
function greySet(count: number): MnistSet {
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images.fill(10 * i, i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
    labels[i] = i % 10;
  }
  return { images, labels, count };
}

describe('pickMisclassified', () => {
  const set = greySet(12);
  const predicted = Array.from(set.labels, (l, i) => (i === 2 || i === 5 || i === 9 ? (l + 1) % 10 : l));

  it('takes the wrong predictions in set order, with their pixels and both labels', () => {
    const picked = pickMisclassified(set, predicted);
    expect(picked.map((d) => [d.index, d.actual, d.predicted])).toEqual([
      [2, 2, 3],
      [5, 5, 6],
      [9, 9, 0],
    ]);
    expect(picked[1]!.image).toEqual(new Uint8Array(IMAGE_BYTES).fill(50));
  });

  it('stops at the limit', () => {
    expect(pickMisclassified(set, predicted, 2).map((d) => d.index)).toEqual([2, 5]);
  });

  it('refuses predictions that do not cover the set', () => {
    expect(() => pickMisclassified(set, predicted.slice(1))).toThrow(/11 predictions for a set of 12/);
  });
});

describe('renderMisclassifiedPng', () => {
  const digits: MisclassifiedDigit[] = Array.from({ length: 8 }, (_, k) => ({
    index: k,
    image: new Uint8Array(IMAGE_BYTES).fill(20 + k),
    actual: k,
    predicted: (k + 3) % 10,
  }));
  const title = 'MISCLASSIFIED';
  const png = renderMisclassifiedPng(digits, title);
  const image = decodePng(png);
  const layout = misclassifiedLayout(digits.length, title);

  it('is a PNG with six tiles a row', () => {
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect([image.width, image.height]).toEqual([layout.width, layout.height]);
    expect(layout.columns).toBe(6);
  });

  it('draws each digit at double size in its tile', () => {
    for (const k of [0, 5, 6, 7]) {
      const x = layout.firstX + (k % 6) * layout.tileWidth;
      const y = layout.firstY + Math.floor(k / 6) * layout.tileHeight;
      const g = 20 + k;
      expect(image.pixel(x, y)).toEqual([g, g, g]);
      expect(image.pixel(x + 55, y + 55)).toEqual([g, g, g]);
      // Just past the 56-pixel image the background is white again.
      expect(image.pixel(x + 56, y)).toEqual([255, 255, 255]);
    }
  });

  it('labels each tile with the true digit in green and the predicted one in red', () => {
    const colours = new Set<string>();
    const y0 = layout.firstY + 56 + 4;
    for (let y = y0; y < y0 + 14; y++)
      for (let x = layout.firstX; x < layout.firstX + 56; x++) colours.add(image.pixel(x, y).join());
    expect(colours).toContain('0,110,40');
    expect(colours).toContain('190,20,20');
  });

  it('is deterministic, and says NONE when there is nothing to show', () => {
    expect(renderMisclassifiedPng(digits, title).equals(png)).toBe(true);
    const empty = decodePng(renderMisclassifiedPng([], title));
    expect(empty.width).toBe(misclassifiedLayout(0, `${title}: NONE`).width);
  });

  it('rejects a digit with a wrong image size or label', () => {
    expect(() => renderMisclassifiedPng([{ ...digits[0]!, image: new Uint8Array(10) }])).toThrow(
      /10 pixel bytes/,
    );
    expect(() => renderMisclassifiedPng([{ ...digits[0]!, predicted: 10 }])).toThrow(/must be digits 0..9/);
  });
});
