/** A PNG grid of misclassified digits, each with its true and predicted label, to see what the model gets wrong. */
import { IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES, type MnistSet } from '../data/types';
import { GLYPH_HEIGHT, textWidth } from './bitmap-font';
import { BLACK, Raster, type Rgb } from './raster';

export interface MisclassifiedDigit {
  /** Position of the sample in its set, for finding it again. */
  readonly index: number;
  /** IMAGE_BYTES grey pixels, as in MnistSet.images. */
  readonly image: Uint8Array;
  readonly actual: number;
  readonly predicted: number;
}

/** Enough to see the patterns of mistakes while keeping the artifact small (36 MNIST digits: 15 KB). */
export const DEFAULT_MISCLASSIFIED_LIMIT = 36;

const COLUMNS = 6;
const ZOOM = 2;
const PAD = 8;
const MARGIN = 10;
const TITLE_SCALE = 2;
const TRUE_COLOR: Rgb = [0, 110, 40];
const PREDICTED_COLOR: Rgb = [190, 20, 20];

/**
 * The first `limit` samples whose prediction differs from the label, in set order: the choice depends on
 * the set and predictions alone, so a re-run logs the same picture.
 */
export function pickMisclassified(
  set: MnistSet,
  predicted: ArrayLike<number>,
  limit = DEFAULT_MISCLASSIFIED_LIMIT,
): MisclassifiedDigit[] {
  if (predicted.length !== set.count) {
    throw new Error(
      `got ${predicted.length} predictions for a set of ${set.count} samples; predict the whole set, in order`,
    );
  }
  const out: MisclassifiedDigit[] = [];
  for (let i = 0; i < set.count && out.length < limit; i++) {
    const actual = set.labels[i]!;
    if (predicted[i] !== actual) {
      out.push({
        index: i,
        image: set.images.slice(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
        actual,
        predicted: predicted[i]!,
      });
    }
  }
  return out;
}

export interface MisclassifiedLayout {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  /** Top-left corner of the first tile's image; tile k is at (k % columns, k / columns) × tile size. */
  readonly firstX: number;
  readonly firstY: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
}

const LABEL_HEIGHT = GLYPH_HEIGHT * 2;

export function misclassifiedLayout(count: number, title: string): MisclassifiedLayout {
  const side = IMAGE_SIDE * ZOOM;
  const tileWidth = side + PAD;
  const tileHeight = side + 4 + LABEL_HEIGHT + PAD;
  const columns = Math.max(1, Math.min(COLUMNS, count));
  const rows = Math.max(1, Math.ceil(count / COLUMNS));
  const firstY = MARGIN + GLYPH_HEIGHT * TITLE_SCALE + 10;
  return {
    width: Math.max(2 * MARGIN + columns * tileWidth - PAD, 2 * MARGIN + textWidth(title, TITLE_SCALE)),
    height: firstY + rows * tileHeight - PAD + MARGIN,
    columns,
    firstX: MARGIN,
    firstY,
    tileWidth,
    tileHeight,
  };
}

function checkDigit(d: MisclassifiedDigit, k: number): void {
  const isDigit = (v: number) => Number.isInteger(v) && v >= 0 && v < NUM_CLASSES;
  if (d.image.length !== IMAGE_BYTES) {
    throw new Error(
      `misclassified digit ${k} has ${d.image.length} pixel bytes; a 28×28 image needs ${IMAGE_BYTES}`,
    );
  }
  if (!isDigit(d.actual) || !isDigit(d.predicted)) {
    throw new Error(
      `misclassified digit ${k} has labels ${d.actual}/${d.predicted}; both must be digits 0..9`,
    );
  }
}

/** Tiles of the digits (white on black as in MNIST) with "T<true> P<predicted>" under each. */
export function renderMisclassifiedPng(
  digits: readonly MisclassifiedDigit[],
  title = 'MISCLASSIFIED',
): Buffer {
  digits.forEach(checkDigit);
  const fullTitle = digits.length === 0 ? `${title}: NONE` : title;
  const layout = misclassifiedLayout(digits.length, fullTitle);
  const img = new Raster(layout.width, layout.height);
  img.text(MARGIN, MARGIN, fullTitle, BLACK, TITLE_SCALE);
  digits.forEach((d, k) => {
    const x = layout.firstX + (k % layout.columns) * layout.tileWidth;
    const y = layout.firstY + Math.floor(k / layout.columns) * layout.tileHeight;
    img.grey(x, y, d.image, IMAGE_SIDE, ZOOM);
    const labelY = y + IMAGE_SIDE * ZOOM + 4;
    img.text(x, labelY, `T${d.actual}`, TRUE_COLOR, 2);
    const predicted = `P${d.predicted}`;
    img.text(x + IMAGE_SIDE * ZOOM - textWidth(predicted, 2), labelY, predicted, PREDICTED_COLOR, 2);
  });
  return img.toPng();
}
