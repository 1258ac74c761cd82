/** The drawing pad: white strokes on black with mouse, pen or touch (pointer events). */
import { toMnistDigit } from './preprocess';

/** Stroke width on the 280-pixel pad: MNIST strokes are about a tenth of the digit's height. */
const LINE_WIDTH = 18;
/** Canvas anti-aliasing below this intensity does not count as ink for the bounding box. */
const INK_THRESHOLD = 32;

export interface Pad {
  clear(): void;
  /** The MNIST-style 28×28 digit of the drawing; null while it is blank. */
  digit(): Uint8Array | null;
}

export function drawingPad(canvas: HTMLCanvasElement, onChange: (final: boolean) => void): Pad {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const reset = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  reset();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = LINE_WIDTH;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  let drawing = false;
  let last: { x: number; y: number } | null = null;

  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * canvas.width) / r.width,
      y: ((e.clientY - r.top) * canvas.height) / r.height,
    };
  };
  const segment = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    drawing = true;
    last = at(e);
    segment(last, { x: last.x + 0.01, y: last.y }); // a dot for a tap
    onChange(false);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = at(e);
    segment(last, p);
    last = p;
    onChange(false);
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    onChange(true);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  return {
    clear: reset,
    digit() {
      const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const gray = new Uint8Array(width * height);
      for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4]!; // white on black: red is the intensity
      return toMnistDigit({ width, height, data: gray }, INK_THRESHOLD);
    },
  };
}

/** Paints a 28×28 digit on the preview canvas. */
export function showDigit(canvas: HTMLCanvasElement, pixels: Uint8Array | null): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = pixels ? pixels[i]! : 0;
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}
