/** The dashboard: tiles, the two charts and the cycles table, refreshed from GET /api/dashboard. */
import type { CycleView, Dashboard, Part } from '../../src/serve/web/api-types';
import { call } from './api';
import { COLORS, lineChart } from './charts';
import { ago, byId, el, link, pct, shortTime, shortVersion } from './dom';

function tile(id: string, label: string, value: string, ...details: (Node | string)[]) {
  byId(id).replaceChildren(
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value),
    ...details.map((d) => el('div', { class: 'muted' }, d)),
  );
}

function unavailable<T>(p: Part<T>, id: string, label: string): p is Extract<Part<T>, { ok: false }> {
  if (p.ok) return false;
  byId(id).replaceChildren(
    el('div', { class: 'label' }, label),
    el('div', { class: 'unavailable' }, `unavailable: ${p.error}`),
  );
  return true;
}

function renderTiles(d: Dashboard) {
  if (!unavailable(d.champion, 'tile-champion', 'champion')) {
    const c = d.champion.value;
    if (!c) tile('tile-champion', 'champion', 'none yet', 'run `npm run demo` or `npm run cli -- bootstrap`');
    else {
      const why = el('div', { class: 'muted' }, c.why);
      if (c.promotedBy)
        why.append(
          ' ',
          link(c.promotedBy.temporalUrl, 'workflow'),
          ' ',
          link(c.promotedBy.mlflowUrl, 'MLflow run'),
        );
      byId('tile-champion').replaceChildren(
        el('div', { class: 'label' }, 'champion'),
        el('div', { class: 'value mono', id: 'champion-version' }, c.versionId),
        el(
          'div',
          { class: 'muted' },
          `validation ${pct(c.validationAccuracy)} · test ${pct(c.testAccuracy)}`,
        ),
        el(
          'div',
          { class: 'muted' },
          c.promotedAt
            ? `promoted ${ago(c.promotedAt)} (${new Date(c.promotedAt).toLocaleString()})`
            : `created ${ago(c.createdAt)}`,
        ),
        why,
      );
    }
    byId('champion-badge').textContent = `champion: ${c ? c.versionId : 'none'}`;
  }
  if (!unavailable(d.lag, 'tile-lag', 'consumer lag')) {
    const l = d.lag.value;
    tile(
      'tile-lag',
      'consumer lag',
      String(l.total),
      `records on ${d.topic} not yet taken by ${l.groupId}`,
      l.topicExists ? '' : 'the topic does not exist yet',
    );
  }
  if (!unavailable(d.deadLetters, 'tile-dead-letters', 'dead letters')) {
    const dl = d.deadLetters.value;
    const reasons = Object.entries(dl.byReason).sort((a, b) => b[1] - a[1]);
    byId('tile-dead-letters').replaceChildren(
      el('div', { class: 'label' }, 'dead letters'),
      el('div', { class: 'value' }, String(dl.total)),
      reasons.length
        ? el(
            'table',
            { id: 'dead-letter-reasons' },
            ...reasons.map(([r, n]) => el('tr', {}, el('td', { class: 'mono' }, r), el('td', {}, String(n)))),
          )
        : el('div', { class: 'muted' }, 'no poison records in the batches so far'),
    );
  }
  if (!unavailable(d.serviceAccuracy, 'tile-service', 'accuracy in service')) {
    const s = d.serviceAccuracy.value;
    const last = s.byVersion.at(-1);
    tile(
      'tile-service',
      'accuracy in service',
      s.labelled ? pct(s.correct / s.labelled, 1) : '–',
      s.labelled
        ? `${s.correct} of ${s.labelled} labelled web samples predicted right`
        : 'no labelled web samples yet: teach it above',
      last ? `latest version ${last.modelVersion}: ${last.correct}/${last.labelled}` : '',
    );
  }
}

function renderCycles(cycles: readonly CycleView[]) {
  const body = byId('cycles').querySelector('tbody')!;
  if (!cycles.length) {
    body.replaceChildren(
      el(
        'tr',
        {},
        el('td', { colspan: '7', class: 'muted' }, 'no retrain cycle yet: `npm run demo` runs one'),
      ),
    );
    return;
  }
  body.replaceChildren(
    ...cycles.map((c) =>
      el(
        'tr',
        { 'data-cycle': c.cycleId },
        el('td', { title: c.recordedAt }, new Date(c.recordedAt).toLocaleString()),
        el('td', {}, el('span', { class: `decision ${c.decision}` }, c.decision)),
        el('td', {}, c.reason),
        el(
          'td',
          {},
          c.consumed === null ? '–' : `${c.consumed} (${c.valid ?? '–'} / ${c.deadLettered ?? '–'})`,
        ),
        el('td', {}, pct(c.prequentialAccuracy)),
        el('td', { class: 'mono' }, c.championAfter ?? '–'),
        el(
          'td',
          { class: 'links' },
          link(c.temporalUrl, 'workflow', 'temporal'),
          link(c.mlflowUrl, 'MLflow run', 'mlflow'),
        ),
      ),
    ),
  );
}

export function dashboard(onChampion: (versionId: string | null) => void) {
  const versions = lineChart(byId<HTMLCanvasElement>('versions-chart'), 'accuracy');
  const drift = lineChart(byId<HTMLCanvasElement>('drift-chart'), 'accuracy');
  let refreshMs = 10_000;

  async function refresh() {
    try {
      const d = await call<Dashboard>('GET', '/api/dashboard');
      refreshMs = d.refreshMs;
      byId<HTMLAnchorElement>('link-temporal').href = d.links.temporalUi;
      byId<HTMLAnchorElement>('link-mlflow').href = d.links.mlflowUi;
      renderTiles(d);
      if (d.champion.ok) onChampion(d.champion.value?.versionId ?? null);
      if (d.versions.ok) {
        const v = d.versions.value;
        versions({
          labels: v.map((p) => shortVersion(p.versionId)),
          lines: [
            { label: 'validation', data: v.map((p) => p.validationAccuracy), color: COLORS.ACCENT },
            { label: 'test', data: v.map((p) => p.testAccuracy), color: COLORS.GREEN },
          ],
        });
      }
      if (d.cycles.ok) {
        renderCycles(d.cycles.value);
        const c = [...d.cycles.value].reverse(); // oldest first, left to right
        drift({
          labels: c.map((x) => shortTime(x.recordedAt)),
          lines: [
            {
              label: 'prequential (champion on the new batch)',
              data: c.map((x) => x.prequentialAccuracy),
              color: COLORS.ORANGE,
            },
            {
              label: 'champion on validation',
              data: c.map((x) => x.championValidationAccuracy),
              color: COLORS.ACCENT,
            },
          ],
        });
      } else {
        byId('cycles')
          .querySelector('tbody')!
          .replaceChildren(
            el('tr', {}, el('td', { colspan: '7', class: 'unavailable' }, `unavailable: ${d.cycles.error}`)),
          );
      }
      byId('refreshed').textContent =
        `· refreshed ${new Date(d.generatedAt).toLocaleTimeString()}, every ${Math.round(refreshMs / 1000)} s`;
    } catch (e) {
      byId('refreshed').textContent = `· refresh failed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      setTimeout(refresh, refreshMs);
    }
  }
  void refresh();
}
