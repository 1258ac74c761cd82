/** `npm run demo`: brings the native stack up and shows where everything is. */
import { loadConfig } from '../config';
import { status, up } from '../stack/orchestrator';
import { stackPaths } from '../stack/paths';
import { allServices } from '../stack/services';
import { renderTable } from '../stack/table';

async function main(): Promise<void> {
  const config = loadConfig();
  const ctx = { config, paths: stackPaths(config), say: (m: string) => console.log(`[demo] ${m}`) };
  const t0 = Date.now();
  await up(ctx, allServices(ctx));
  const rows = await status(ctx, allServices(ctx));
  console.log(
    `\nStack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n` +
      renderTable(
        ['SERVICE', 'HEALTH', 'URL'],
        rows.map((r) => [r.service.name, r.healthy ? 'healthy' : 'DOWN', r.service.url]),
      ),
  );
  console.log(
    `\nTemporal Web UI: http://127.0.0.1:${config.temporal.uiPort}\nMLflow UI:       ${config.mlflow.trackingUri}`,
  );
  if (rows.some((r) => !r.healthy)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`[demo] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
