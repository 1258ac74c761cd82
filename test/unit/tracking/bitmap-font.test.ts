import {
  FONT_CHARACTERS,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyph,
  textWidth,
} from '../../../src/domain/tracking/bitmap-font';

describe('the 5×7 label font', () => {
  it('has well-formed glyphs for every digit, letter and its punctuation', () => {
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ') expect(FONT_CHARACTERS).toContain(ch);
    for (const ch of FONT_CHARACTERS) {
      const rows = glyph(ch);
      expect(rows).toHaveLength(GLYPH_HEIGHT);
      for (const row of rows) expect(row).toMatch(new RegExp(`^[.#]{${GLYPH_WIDTH}}$`));
    }
  });

  it('draws every digit and letter differently, so no two labels can look alike', () => {
    const shapes = new Set([...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'].map((ch) => glyph(ch).join('')));
    expect(shapes.size).toBe(36);
  });

  it('maps lower case to upper case and names a missing character', () => {
    expect(glyph('t')).toEqual(glyph('T'));
    expect(() => glyph('€')).toThrow(/no glyph for "€"/);
  });

  it('measures text with one blank column between glyphs', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('7')).toBe(5);
    expect(textWidth('123')).toBe(17);
    expect(textWidth('123', 2)).toBe(34);
  });
});
