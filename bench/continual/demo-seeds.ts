/**
 * Does `npm run demo` show the system doing its job? Runs the demo path (short bootstrap, one stream,
 * one retrain) at the default settings for several seeds, each on its own topic, database and folders,
 * and counts the retrains that promoted a better challenger.
 *   npx tsx bench/continual/demo-seeds.ts [--seeds 5]
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { runDemo } from '../../src/cli/demo';
import { MlopsClient } from '../../src/client';
import { seedEnv } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' } } });
  const seeds = Number(values.seeds);
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const base = loadConfig();
  const tag = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  const rows = [];
  for (let i = 0; i < seeds; i++) {
    const seed = base.training.seed + i;
    const runDir = path.join(REPO_ROOT, '.bench-continual', `demo-${tag}`, `seed-${seed}`);
    // The demo's own settings (DEMO_*), the pipeline's defaults otherwise.
    const cfg = loadConfig(seedEnv(`demo-${tag}`, seed, runDir, base.demo.streamCount, false));
    const prefix = `bench-demo-${tag}-${seed}-`;
    const s = await runDemo(cfg, {
      workers: { ioTaskQueue: `${prefix}io`, trainingTaskQueue: `${prefix}training` },
      scheduleIdPrefix: prefix,
    });
    const mlops = await MlopsClient.connect(cfg, { schedules: { idPrefix: prefix } });
    await mlops.schedules.delete('all').catch(() => undefined);
    await mlops.close();
    const r = s.retrain;
    const row = {
      seed,
      decision: r.decision,
      reason: r.reason,
      championValidation: r.champion?.validation.accuracy,
      challengerValidation: r.challenger?.validation.accuracy,
      championTest: r.champion?.test.accuracy,
      challengerTest: r.challenger?.test.accuracy,
    };
    rows.push(row);
    console.error(`[demo-seeds] ${JSON.stringify(row)}`);
  }
  const promoted = rows.filter((r) => r.decision === 'promoted').length;
  console.log(JSON.stringify({ seeds, promoted, rows }));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`[demo-seeds] ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
