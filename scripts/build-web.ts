// Bundles the web app into web/dist (esbuild) when a source is newer than the bundle; run by setup.sh.
import { buildWeb } from '../src/serve/web/build';

const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');
buildWeb({ force }).then(
  (r) => {
    if (r.built && !quiet)
      console.log(`[setup] web app bundled into web/dist in ${r.ms} ms (${Math.round(r.bytes / 1024)} KiB)`);
  },
  (e: unknown) => {
    console.error(`[setup] bundling the web app failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
