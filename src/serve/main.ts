/**
 * `npm run serve`: the inference server (Open Inference Protocol REST) of the champion in MODELS_DIR,
 * following promotions, logging predictions to Kafka. SIGINT/SIGTERM stop it gracefully: requests in
 * flight are answered and the prediction log is flushed.
 */
import { ConfigError, loadConfig } from '../config';
import { NoChampionError } from '../domain/serving/champion';
import { TensorFlowUnavailableError } from '../adapters/tf-backend';
import { EXIT } from '../cli/exit-codes';
import { buildServer, type ServePlugin } from './server';
import { openServeServices } from './services';

async function main(): Promise<number> {
  const cfg = loadConfig();
  const opened = await openServeServices(cfg);
  const plugins: ServePlugin[] = [
    // ── web app plugin: register it here (issue 10, part 2), e.g. `webApp` from src/web ──
  ];
  const app = await buildServer(opened.services, { plugins });
  try {
    await app.listen({ host: cfg.serve.host, port: cfg.serve.port });
  } catch (err) {
    await opened.close(0);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(
        `Port ${cfg.serve.port} on ${cfg.serve.host} is already in use (another server?). ` +
          'Stop that process or set SERVE_PORT to a free port.',
      );
      return EXIT.notReady;
    }
    throw err;
  }
  const champion = opened.services.predictor.current();
  const base = `http://${cfg.serve.host}:${cfg.serve.port}`;
  console.log(
    `serving champion ${champion?.versionId} of ${cfg.paths.modelsDir} at ${base}/v2/models/mnist-cnn`,
  );
  console.log(`predictions are logged to Kafka topic ${cfg.serve.predictionsTopic}; Ctrl-C stops the server`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`${signal}: finishing requests in flight and flushing the prediction log`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await app.close();
  await opened.close();
  const log = opened.services.predictionLog.stats();
  console.log(`stopped (${log.sent} predictions logged, ${log.dropped} dropped)`);
  return EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof ConfigError ||
      err instanceof NoChampionError ||
      err instanceof TensorFlowUnavailableError
    ) {
      console.error(err.message);
      process.exit(err instanceof ConfigError ? EXIT.usage : EXIT.notReady);
    }
    console.error(err);
    process.exit(EXIT.failure);
  },
);
