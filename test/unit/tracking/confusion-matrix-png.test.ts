import {
  confusionCellColor,
  confusionMatrixLayout,
  renderConfusionMatrixPng,
} from '../../../src/domain/tracking/confusion-matrix-png';
import { PNG_SIGNATURE, decodePng } from './png-reader';

/** 100 samples per digit; digit 3 is twice mistaken for an 8, digit 7 never occurs. */
function knownMatrix(): number[][] {
  const m: number[][] = Array.from({ length: 10 }, (_, a) =>
    Array.from({ length: 10 }, (_, p) => (a === p ? 100 : 0)),
  );
  m[3]![3] = 98;
  m[3]![8] = 2;
  m[7]![7] = 0;
  return m;
}

describe('renderConfusionMatrixPng', () => {
  const title = 'TEST (N=900)';
  const png = renderConfusionMatrixPng(knownMatrix(), title);
  const image = decodePng(png);
  const layout = confusionMatrixLayout(title);
  /** A pixel near the top-left corner of a cell: inside the cell, away from its centred count. */
  const cellCorner = (actual: number, predicted: number) =>
    image.pixel(layout.gridX + predicted * layout.cell + 3, layout.gridY + actual * layout.cell + 3);

  it('is a PNG of the laid-out size', () => {
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect([image.width, image.height]).toEqual([layout.width, layout.height]);
    expect(layout.width).toBeGreaterThanOrEqual(layout.gridX + 10 * layout.cell);
  });

  it('shades each cell by its share of the row: dark blue diagonal, red errors, white zeros', () => {
    expect(cellCorner(0, 0)).toEqual([8, 48, 107]);
    expect(cellCorner(0, 1)).toEqual([255, 255, 255]);
    expect(cellCorner(3, 3)).toEqual([...confusionCellColor(98, 100, true)]);
    expect(cellCorner(3, 8)).toEqual([...confusionCellColor(2, 100, false)]);
    const [r, g, b] = cellCorner(3, 8);
    expect(r).toBeGreaterThan(g);
    expect(r).toBeGreaterThan(b);
    // An empty row (digit 7 absent) stays white instead of dividing by zero.
    expect(cellCorner(7, 7)).toEqual([255, 255, 255]);
  });

  it('writes the counts into the cells in a contrasting colour', () => {
    const cellPixels = (actual: number, predicted: number) => {
      const out: string[] = [];
      for (let y = 1; y < layout.cell; y++) {
        for (let x = 1; x < layout.cell; x++) {
          out.push(
            image
              .pixel(layout.gridX + predicted * layout.cell + x, layout.gridY + actual * layout.cell + y)
              .join(),
          );
        }
      }
      return out;
    };
    // "100" on dark blue: white pixels appear; an empty "0" cell on white has black ones.
    expect(cellPixels(0, 0)).toContain('255,255,255');
    expect(cellPixels(0, 1)).toContain('0,0,0');
    // Cells with different counts differ in their pixels, not just in their colour.
    expect(new Set(cellPixels(3, 8)).size).toBeGreaterThan(1);
  });

  it('gives the same bytes for the same matrix, and different bytes for a different one', () => {
    expect(renderConfusionMatrixPng(knownMatrix(), title).equals(png)).toBe(true);
    const other = knownMatrix();
    other[3]![8] = 3;
    expect(renderConfusionMatrixPng(other, title).equals(png)).toBe(false);
  });

  it('keeps four-digit counts inside their cell', () => {
    const big = knownMatrix();
    big[1]![1] = 1135;
    const decoded = decodePng(renderConfusionMatrixPng(big, title));
    // The grid lines around the cell stay intact: the number did not spill over them.
    for (let y = 0; y <= layout.cell; y++) {
      expect(decoded.pixel(layout.gridX + layout.cell, layout.gridY + layout.cell + y)).toEqual([
        200, 200, 200,
      ]);
      expect(decoded.pixel(layout.gridX + 2 * layout.cell, layout.gridY + layout.cell + y)).toEqual([
        200, 200, 200,
      ]);
    }
  });

  it('rejects a matrix that is not 10×10 counts, saying what is wrong', () => {
    expect(() =>
      renderConfusionMatrixPng([
        [1, 2],
        [3, 4],
      ]),
    ).toThrow(/must be 10×10.*got 2 rows/);
    const negative = knownMatrix();
    negative[2]![5] = -1;
    expect(() => renderConfusionMatrixPng(negative)).toThrow(/confusion\[2\]\[5\] is -1/);
    const fraction = knownMatrix();
    fraction[0]![0] = 0.5;
    expect(() => renderConfusionMatrixPng(fraction)).toThrow(/integer/);
  });
});
