/** The training worker for TRAINING_DEVICE (one activity at a time by default). `tsx src/workers/training.ts` */
import { loadConfig } from '../config';
import { createTrainingWorker } from './create';
import { connectWorker, openTrainingDeps } from './dependencies';
import { runUntilSignal } from './run-until-signal';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const connection = await connectWorker(cfg);
  const training = await openTrainingDeps(cfg);
  const worker = await createTrainingWorker(cfg, connection, training.deps);
  await runUntilSignal(`training (${cfg.training.device})`, worker, async () => {
    await training.close();
    await connection.close();
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
