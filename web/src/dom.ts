/** Small DOM helpers: elements are built with textContent only, so no ledger or server text is parsed as HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page has no #${id}`);
  return e as T;
}

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function link(href: string | null, text: string, testId?: string): HTMLElement {
  if (!href) return el('span', { class: 'muted' }, `${text} –`);
  return el(
    'a',
    { href, target: '_blank', rel: 'noopener', ...(testId ? { 'data-link': testId } : {}) },
    text,
  );
}

export const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)} %`;

export function ago(iso: string): string {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${Math.max(s, 0)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** `m20260102T101010Z-1a2b3c4d` → `01-02 10:10 1a2b`, short enough for a chart axis. */
export function shortVersion(id: string): string {
  const m = /^m\d{4}(\d{2})(\d{2})T(\d{2})(\d{2})\d{2}Z-([0-9a-f]{8})$/.exec(id);
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]} ${m[5]!.slice(-4)}` : id.length > 18 ? `…${id.slice(-16)}` : id;
}

/** `MM-DD HH:MM` in local time: compact for a chart axis. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
