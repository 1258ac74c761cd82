/** The confusion matrix as a PNG heat map: actual digit per row, predicted per column, counts in the cells. */
import { NUM_CLASSES } from '../data/types';
import { GLYPH_HEIGHT, textWidth } from './bitmap-font';
import { BLACK, Raster, WHITE, type Rgb } from './raster';

const CELL = 52;
const MARGIN = 10;
const LABEL_SCALE = 2;
const LABEL_HEIGHT = GLYPH_HEIGHT * LABEL_SCALE;
const GRID_LINE: Rgb = [200, 200, 200];
/** Correct predictions shade towards blue, errors towards red, so a bad cell stands out at a glance. */
const CORRECT: Rgb = [8, 48, 107];
const WRONG: Rgb = [165, 15, 21];
const LEGEND = 'SHADE: SHARE OF THE ROW (ACTUAL DIGIT)';

export interface ConfusionMatrixLayout {
  readonly width: number;
  readonly height: number;
  /** Top-left corner of cell (0, 0); cell (actual, predicted) starts cell × (predicted, actual) further. */
  readonly gridX: number;
  readonly gridY: number;
  readonly cell: number;
}

export function confusionMatrixLayout(title: string): ConfusionMatrixLayout {
  const titleY = MARGIN;
  const predictedY = titleY + LABEL_HEIGHT + 10;
  const digitsY = predictedY + LABEL_HEIGHT + 6;
  const gridY = digitsY + LABEL_HEIGHT + 6;
  const gridX = MARGIN + (LABEL_HEIGHT - 4) + 8 + textWidth('9', LABEL_SCALE) + 8;
  const grid = NUM_CLASSES * CELL;
  return {
    width: Math.max(
      gridX + grid + MARGIN,
      2 * MARGIN + textWidth(title, LABEL_SCALE),
      2 * MARGIN + textWidth(LEGEND),
    ),
    height: gridY + grid + 8 + GLYPH_HEIGHT + MARGIN,
    gridX,
    gridY,
    cell: CELL,
  };
}

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(from[i]! + (to[i]! - from[i]!) * t)) as unknown as Rgb;
}

/**
 * Colour of a cell holding `count` of a row of `rowTotal`. The square root lifts small error shares
 * (1–5 %) into visible tints while the diagonal stays dark.
 */
export function confusionCellColor(count: number, rowTotal: number, correct: boolean): Rgb {
  const share = rowTotal === 0 ? 0 : count / rowTotal;
  return mix(WHITE, correct ? CORRECT : WRONG, Math.sqrt(share));
}

function checkMatrix(confusion: readonly (readonly number[])[]): void {
  const square = confusion.length === NUM_CLASSES && confusion.every((row) => row.length === NUM_CLASSES);
  if (!square) {
    throw new Error(
      `a confusion matrix must be ${NUM_CLASSES}×${NUM_CLASSES} (actual × predicted digit), got ` +
        `${confusion.length} rows of ${confusion.map((r) => r.length).join('/')} columns`,
    );
  }
  confusion.forEach((row, a) =>
    row.forEach((v, p) => {
      if (!(Number.isSafeInteger(v) && v >= 0)) {
        throw new Error(`confusion[${a}][${p}] is ${v}; every cell must be a count (an integer ≥ 0)`);
      }
    }),
  );
}

/** `confusion[actual][predicted]` = count, as Evaluation.confusion holds it. Same matrix, same bytes. */
export function renderConfusionMatrixPng(
  confusion: readonly (readonly number[])[],
  title = 'CONFUSION MATRIX',
): Buffer {
  checkMatrix(confusion);
  const layout = confusionMatrixLayout(title);
  const { gridX, gridY, cell } = layout;
  const img = new Raster(layout.width, layout.height);
  const grid = NUM_CLASSES * cell;

  img.text(MARGIN, MARGIN, title, BLACK, LABEL_SCALE);
  const predicted = 'PREDICTED';
  img.text(
    gridX + (grid - textWidth(predicted, LABEL_SCALE)) / 2,
    gridY - 2 * LABEL_HEIGHT - 12,
    predicted,
    BLACK,
    LABEL_SCALE,
  );
  // "ACTUAL" runs down the left edge, one letter under the other: the font has no rotated glyphs.
  const actual = 'ACTUAL';
  const step = LABEL_HEIGHT + 4;
  const actualTop = gridY + Math.round((grid - actual.length * step) / 2);
  [...actual].forEach((ch, i) => img.text(MARGIN, actualTop + i * step, ch, BLACK, LABEL_SCALE));

  const digitWidth = textWidth('9', LABEL_SCALE);
  for (let d = 0; d < NUM_CLASSES; d++) {
    const centre = Math.round((cell - digitWidth) / 2);
    img.text(gridX + d * cell + centre, gridY - LABEL_HEIGHT - 6, String(d), BLACK, LABEL_SCALE);
    img.text(
      gridX - digitWidth - 8,
      gridY + d * cell + Math.round((cell - LABEL_HEIGHT) / 2),
      String(d),
      BLACK,
      LABEL_SCALE,
    );
  }

  img.fill(gridX, gridY, grid + 1, grid + 1, GRID_LINE);
  confusion.forEach((row, a) => {
    const rowTotal = row.reduce((s, v) => s + v, 0);
    row.forEach((count, p) => {
      const x = gridX + p * cell;
      const y = gridY + a * cell;
      const color = confusionCellColor(count, rowTotal, a === p);
      img.fill(x + 1, y + 1, cell - 1, cell - 1, color);
      const label = String(count);
      // Large counts (a full test set gives four digits) drop to the small size to stay inside the cell.
      const scale = textWidth(label, 2) <= cell - 6 ? 2 : 1;
      const luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
      img.text(
        x + Math.round((cell - textWidth(label, scale)) / 2),
        y + Math.round((cell - GLYPH_HEIGHT * scale) / 2),
        label,
        luminance < 140 ? WHITE : BLACK,
        scale,
      );
    });
  });
  img.text(MARGIN, gridY + grid + 8, LEGEND, BLACK);
  return img.toPng();
}
