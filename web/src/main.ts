/** The web app: draw → live prediction from the champion → teach → dashboard. */
import { infer } from './api';
import { probabilityChart } from './charts';
import { dashboard } from './dashboard';
import { byId } from './dom';
import { drawingPad, showDigit } from './pad';
import { teach } from './teach';

/** Predictions while drawing: at most one request per this many ms, the latest drawing always last. */
const THROTTLE_MS = 120;

const prediction = byId('prediction');
const confidence = byId('confidence');
const answeredBy = byId('answered-by');
const preview = byId<HTMLCanvasElement>('preview');
const bars = probabilityChart(byId<HTMLCanvasElement>('prob-chart'));

let seq = 0;
let shown = 0;
let timer: number | undefined;
let lastRun = 0;

async function predictNow() {
  lastRun = Date.now();
  const digit = pad.digit();
  showDigit(preview, digit);
  const mine = ++seq;
  if (!digit) {
    prediction.textContent = '–';
    confidence.textContent = 'draw something';
    answeredBy.textContent = '';
    bars(new Array(10).fill(0));
    teacher.suggest(null);
    return;
  }
  try {
    const r = await infer(digit, `web-draw-${mine}`);
    if (mine < shown) return; // an older request answered late
    shown = mine;
    prediction.textContent = String(r.digit);
    prediction.dataset.version = r.version;
    confidence.textContent = `${(r.probabilities[r.digit]! * 100).toFixed(1)} % sure`;
    answeredBy.textContent = `answered by version ${r.version}`;
    bars(r.probabilities);
    teacher.suggest(r.digit);
  } catch (e) {
    prediction.textContent = '?';
    confidence.textContent = `no prediction: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function schedule(final: boolean) {
  clearTimeout(timer);
  const wait = final ? 0 : Math.max(0, THROTTLE_MS - (Date.now() - lastRun));
  timer = window.setTimeout(() => void predictNow(), wait);
}

const pad = drawingPad(byId<HTMLCanvasElement>('pad'), schedule);
const teacher = teach(() => pad.digit());
byId('clear').addEventListener('click', () => {
  pad.clear();
  schedule(true);
});
dashboard(() => undefined);
showDigit(preview, null);
