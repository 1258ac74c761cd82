/**
 * Our own small MLflow REST client. The npm `mlflow` package (2.0.7) is stale: it calls experiments/list,
 * which MLflow 2.0 removed, and has no model registry, aliases, dataset inputs or artifact upload. The REST
 * API is stable and documented, so a typed client over Node's fetch is little code and no dependency.
 */
import { MlflowArtifacts } from './artifacts';
import { MlflowHttp, type MlflowConnection, type MlflowHttpOptions } from './http';
import { MlflowRegistry } from './registry';
import { MlflowTracking } from './tracking';

export class MlflowClient {
  readonly tracking: MlflowTracking;
  readonly artifacts: MlflowArtifacts;
  readonly registry: MlflowRegistry;
  readonly #http: MlflowHttp;

  /** `connection` is `loadConfig().mlflow`; nothing here reads the environment. */
  constructor(connection: MlflowConnection, options: MlflowHttpOptions = {}) {
    this.#http = new MlflowHttp(connection, options);
    this.tracking = new MlflowTracking(this.#http);
    this.artifacts = new MlflowArtifacts(this.#http);
    this.registry = new MlflowRegistry(this.#http);
  }

  get trackingUri(): string {
    return this.#http.baseUrl;
  }

  /** Resolves when the server answers its /health probe ("OK"). */
  async health(timeoutMs = 5000): Promise<void> {
    await this.#http.bytes('GET', '/health', { timeoutMs });
  }
}
