/** The IO worker: every workflow plus the data, Kafka, MLflow, PostgreSQL and model-store activities. `tsx src/workers/io.ts` */
import { loadConfig } from '../config';
import { createIoWorker } from './create';
import { connectWorker, openIoDeps } from './dependencies';
import { runUntilSignal } from './run-until-signal';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const connection = await connectWorker(cfg);
  const io = await openIoDeps(cfg);
  const worker = await createIoWorker(cfg, connection, io.deps);
  await runUntilSignal('io', worker, async () => {
    await io.close();
    await connection.close();
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
