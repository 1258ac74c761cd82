/** The web bundle: built by esbuild from web/, self-contained (nothing loaded from another origin). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWeb, webBuildIsStale } from '../../../src/serve/web/build';

let dist: string;
beforeAll(async () => {
  dist = await fs.mkdtemp(path.join(os.tmpdir(), 'web-dist-'));
});
afterAll(() => fs.rm(dist, { recursive: true, force: true }));

describe('buildWeb', () => {
  it('bundles the page, its script and stylesheet, and loads nothing from elsewhere', async () => {
    expect(await webBuildIsStale(dist)).toBe(true);
    const r = await buildWeb({ dist });
    expect(r.built).toBe(true);
    const html = await fs.readFile(path.join(dist, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(['app.css', 'app.js']));
    // Only same-origin assets; the nav links to the Temporal and MLflow UIs get their href at run time.
    expect(refs.filter((u) => /^(https?:)?\/\//.test(u!))).toEqual([]);
    const js = await fs.readFile(path.join(dist, 'app.js'), 'utf8');
    expect(js).toContain('/v2/models/'); // the OIP call
    expect(js).toMatch(/Chart/); // chart.js is inside the bundle
    expect(js).not.toMatch(/\bimport\s*\(|require\(/); // nothing left to fetch at run time
    expect((await fs.stat(path.join(dist, 'app.css'))).size).toBeGreaterThan(1000);
  });

  it('is skipped while the bundle is newer than its sources', async () => {
    expect(await webBuildIsStale(dist)).toBe(false);
    expect(await buildWeb({ dist })).toEqual({ built: false, ms: 0, bytes: 0 });
  });
});
