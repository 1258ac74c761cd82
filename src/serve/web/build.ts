/**
 * Bundles the web app (web/) into web/dist with esbuild: one script (the page's TypeScript, chart.js and
 * the shared preprocessing), its stylesheet and index.html. Nothing is fetched at run time from anywhere
 * but this server. Skipped when the bundle is newer than every source it is made from.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../config';

export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const WEB_DIST = path.join(WEB_DIR, 'dist');
/** Written last: its time is the bundle's time, and its absence means "never built completely". */
const STAMP = '.built';
/** Sources outside web/ that end up in the bundle or shape it. */
const SHARED = [
  path.join(REPO_ROOT, 'src/serve/web/api-types.ts'),
  path.join(REPO_ROOT, 'node_modules/chart.js/package.json'),
  __filename,
];

async function newestMtime(entries: readonly string[]): Promise<number> {
  let newest = 0;
  for (const entry of entries) {
    const stat = await fs.stat(entry).catch(() => undefined);
    if (!stat) continue;
    if (stat.isDirectory()) {
      const names = await fs.readdir(entry);
      newest = Math.max(newest, await newestMtime(names.map((n) => path.join(entry, n))));
    } else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

async function sources(): Promise<string[]> {
  const names = (await fs.readdir(WEB_DIR)).filter((n) => n !== 'dist' && n !== 'tsconfig.json');
  return [...names.map((n) => path.join(WEB_DIR, n)), ...SHARED];
}

/** True when web/dist is missing or older than one of its sources. */
export async function webBuildIsStale(dist = WEB_DIST): Promise<boolean> {
  const built = await fs.stat(path.join(dist, STAMP)).catch(() => undefined);
  return !built || (await newestMtime(await sources())) > built.mtimeMs;
}

export interface WebBuild {
  readonly built: boolean;
  readonly ms: number;
  readonly bytes: number;
}

/** Builds web/dist unless it is up to date (or `force`). */
export async function buildWeb(options: { force?: boolean; dist?: string } = {}): Promise<WebBuild> {
  const dist = options.dist ?? WEB_DIST;
  const t0 = performance.now();
  if (!options.force && !(await webBuildIsStale(dist))) return { built: false, ms: 0, bytes: 0 };
  // Loaded here: the server only needs esbuild when the bundle is missing.
  const esbuild = await import('esbuild');
  await fs.rm(path.join(dist, STAMP), { force: true });
  await fs.mkdir(dist, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'src/main.ts'), path.join(WEB_DIR, 'style.css')],
    outdir: dist,
    entryNames: 'app',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    logLevel: 'silent',
    metafile: true,
  });
  await fs.copyFile(path.join(WEB_DIR, 'index.html'), path.join(dist, 'index.html'));
  await fs.writeFile(path.join(dist, STAMP), `${new Date().toISOString()}\n`);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { built: true, ms: Math.round(performance.now() - t0), bytes };
}
