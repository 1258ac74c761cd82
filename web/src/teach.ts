/** Teach: label the drawing, send it to the stream, then follow it to the retrain cycle that used it. */
import type { SampleView, SubmittedSample } from '../../src/serve/web/api-types';
import { call, HttpError, token } from './api';
import { byId, el, link } from './dom';

const MINE_KEY = 'temporal-mlops.my-samples';
const KEEP = 10;

interface Mine {
  readonly id: string;
  view?: SampleView | SubmittedSample;
}

function loadMine(): Mine[] {
  try {
    const ids = JSON.parse(localStorage.getItem(MINE_KEY) ?? '[]') as unknown;
    return Array.isArray(ids)
      ? ids.filter((i): i is string => typeof i === 'string').map((id) => ({ id }))
      : [];
  } catch {
    return [];
  }
}

function usedBy(v: SampleView | SubmittedSample | undefined): Node | string {
  if (!v || !('batch' in v)) return 'waiting…';
  if (!v.batch) return 'waiting for a retrain cycle to read it';
  if (!v.cycle) return `in batch ${v.batch.id}, cycle running`;
  const c = v.cycle;
  const verdict = c.decision === 'promoted' ? `promoted ${c.championAfter ?? ''}` : c.decision;
  return el(
    'span',
    {},
    el('span', { class: `decision ${c.decision}` }, verdict),
    ' ',
    link(c.temporalUrl, 'workflow'),
    ' ',
    link(c.mlflowUrl, 'MLflow run'),
  );
}

export function teach(getDigit: () => Uint8Array | null) {
  const labels = byId('labels');
  const submit = byId<HTMLButtonElement>('submit');
  const result = byId('submit-result');
  const tokenInput = byId<HTMLInputElement>('token');
  const tbody = byId('my-samples').querySelector('tbody')!;
  let label: number | null = null;
  let mine = loadMine();
  let refreshMs = 10_000;

  const buttons = Array.from({ length: 10 }, (_, d) => {
    const b = el(
      'button',
      { type: 'button', role: 'radio', 'aria-checked': 'false', 'data-label': String(d) },
      String(d),
    );
    b.addEventListener('click', () => select(d));
    labels.append(b);
    return b;
  });
  function select(d: number | null) {
    label = d;
    buttons.forEach((b, i) => b.setAttribute('aria-checked', String(i === d)));
    submit.disabled = d === null;
  }

  tokenInput.value = token.get();
  tokenInput.addEventListener('change', () => token.set(tokenInput.value.trim()));

  function render() {
    tbody.replaceChildren(
      ...mine.map((m) => {
        const v = m.view;
        return el(
          'tr',
          { 'data-sample': m.id },
          el('td', { class: 'mono', title: m.id }, m.id.slice(0, 13) + '…'),
          el('td', {}, v ? String(v.label) : ''),
          el(
            'td',
            {},
            v
              ? v.predicted === null
                ? 'no champion'
                : `${v.predicted} (${v.predicted === v.label ? 'right' : 'wrong'})`
              : '',
          ),
          el('td', { class: 'mono' }, v ? `${v.partition} / ${v.offset}` : ''),
          el('td', {}, usedBy(v)),
        );
      }),
    );
  }

  async function follow() {
    for (const m of mine) {
      if (m.view && 'cycle' in m.view && m.view.cycle) continue; // final
      try {
        m.view = await call<SampleView>('GET', `/api/samples/${m.id}`);
      } catch (e) {
        if (e instanceof HttpError && e.status === 404) mine = mine.filter((x) => x !== m);
      }
    }
    render();
    setTimeout(follow, refreshMs);
  }

  submit.addEventListener('click', async () => {
    const pixels = getDigit();
    if (label === null) return;
    if (!pixels) {
      result.className = 'error';
      result.textContent = 'Draw a digit first.';
      return;
    }
    token.set(tokenInput.value.trim());
    submit.disabled = true;
    result.className = '';
    result.textContent = 'sending…';
    try {
      const s = await call<SubmittedSample>('POST', '/api/samples', { label, pixels: Array.from(pixels) });
      result.textContent = `Published ${s.id} with label ${s.label} to ${s.topic}, partition ${s.partition}, offset ${s.offset}.`;
      result.dataset.sample = s.id;
      mine = [{ id: s.id, view: s }, ...mine].slice(0, KEEP);
      localStorage.setItem(MINE_KEY, JSON.stringify(mine.map((m) => m.id)));
      render();
    } catch (e) {
      result.className = 'error';
      result.textContent =
        e instanceof HttpError ? `Refused (${e.status}): ${e.message}` : `Failed: ${String(e)}`;
    } finally {
      submit.disabled = label === null;
    }
  });

  render();
  void follow();
  return {
    /** The champion's answer preselects the label: confirming is one click, correcting two. */
    suggest(digit: number | null) {
      select(digit);
    },
    setRefresh(ms: number) {
      refreshMs = ms;
    },
  };
}
