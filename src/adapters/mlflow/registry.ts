/** Registered models, their versions, and aliases (champion / challenger) in the MLflow model registry. */
import { setTimeout as sleep } from 'node:timers/promises';
import { MlflowError } from './errors';
import type { MlflowHttp } from './http';
import { filterLiteral } from './search-filter';
import type {
  CreateModelVersionInput,
  KeyValue,
  ModelVersion,
  RegisteredModel,
  WaitOptions,
} from '../../domain/tracking/tracker';

const API = '/api/2.0/mlflow';

function toTags(tags: Readonly<Record<string, string>> | undefined): KeyValue[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/**
 * MLflow 3.x answers an unset alias with 400 INVALID_PARAMETER_VALUE ("Registered model alias champion not
 * found."), not RESOURCE_DOES_NOT_EXIST, so only the message tells it apart from a malformed request.
 */
function isUnsetAlias(err: MlflowError): boolean {
  return err.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(err.serverMessage);
}

export class MlflowRegistry {
  constructor(private readonly http: MlflowHttp) {}

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    try {
      const r = await this.http.json<{ registered_model: RegisteredModel }>(
        'GET',
        `${API}/registered-models/get`,
        { query: { name } },
      );
      return r.registered_model;
    } catch (err) {
      if (err instanceof MlflowError && err.isNotFound) return undefined;
      throw err;
    }
  }

  /** The registered model, created when missing; a lost create race reads the winner's. */
  async getOrCreateRegisteredModel(
    name: string,
    options: { description?: string; tags?: Readonly<Record<string, string>> } = {},
  ): Promise<RegisteredModel> {
    const existing = await this.getRegisteredModel(name);
    if (existing) return existing;
    try {
      const r = await this.http.json<{ registered_model: RegisteredModel }>(
        'POST',
        `${API}/registered-models/create`,
        { json: { name, description: options.description, tags: toTags(options.tags) } },
      );
      return r.registered_model;
    } catch (err) {
      if (!(err instanceof MlflowError && err.isAlreadyExists)) throw err;
      const winner = await this.getRegisteredModel(name);
      if (!winner) throw err;
      return winner;
    }
  }

  /** Deletes the model with all its versions and aliases. */
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.http.json('DELETE', `${API}/registered-models/delete`, { json: { name } });
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: ModelVersion }>('POST', `${API}/model-versions/create`, {
      json: {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        description: input.description,
        tags: toTags(input.tags),
      },
    });
    return r.model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: ModelVersion }>('GET', `${API}/model-versions/get`, {
      query: { name, version },
    });
    return r.model_version;
  }

  /** Versions of `name` registered from this run, oldest first. */
  async findModelVersionsByRun(name: string, runId: string): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.json<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
        'GET',
        `${API}/model-versions/search`,
        {
          query: {
            filter: `name = ${filterLiteral(name)} and run_id = ${filterLiteral(runId)}`,
            max_results: 1000,
            page_token: pageToken,
          },
        },
      );
      versions.push(...(r.model_versions ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return versions.sort((a, b) => Number(a.version) - Number(b.version));
  }

  /** Polls until the version is READY; FAILED_REGISTRATION or the deadline end it with an error. */
  async waitUntilReady(name: string, version: string, options: WaitOptions = {}): Promise<ModelVersion> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const mv = await this.getModelVersion(name, version);
      if (mv.status === 'READY') return mv;
      if (mv.status === 'FAILED_REGISTRATION') {
        throw new MlflowError({
          status: undefined,
          errorCode: 'INVALID_STATE',
          serverMessage: `model version ${name}/${version} failed registration: ${mv.status_message ?? 'no reason given'}`,
          endpoint: `GET ${API}/model-versions/get`,
        });
      }
      if (Date.now() >= deadline) {
        throw new MlflowError({
          status: undefined,
          errorCode: 'TIMEOUT',
          serverMessage: `model version ${name}/${version} still ${mv.status} after ${options.timeoutMs ?? 120_000} ms`,
          endpoint: `GET ${API}/model-versions/get`,
        });
      }
      await sleep(options.pollMs ?? 500);
    }
  }

  /**
   * Registers the run's model as a new version and waits until it is READY. Idempotent per (run, source):
   * a retried activity gets the version its earlier attempt created instead of a second one.
   */
  async registerModelVersion(
    input: CreateModelVersionInput,
    wait: WaitOptions = {},
  ): Promise<{ version: ModelVersion; created: boolean }> {
    const earlier = (await this.findModelVersionsByRun(input.name, input.runId)).find(
      (v) => v.source === input.source,
    );
    const created = earlier === undefined;
    const mv = earlier ?? (await this.createModelVersion(input));
    return { version: await this.waitUntilReady(mv.name, mv.version, wait), created };
  }

  /** Points `alias` at `version`, moving it if it pointed elsewhere. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.http.json('POST', `${API}/registered-models/alias`, { json: { name, alias, version } });
  }

  /** The version the alias points at, or undefined when the alias is not set. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const r = await this.http.json<{ model_version: ModelVersion }>(
        'GET',
        `${API}/registered-models/alias`,
        {
          query: { name, alias },
        },
      );
      return r.model_version;
    } catch (err) {
      if (err instanceof MlflowError && (err.isNotFound || isUnsetAlias(err))) return undefined;
      throw err;
    }
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.http.json('DELETE', `${API}/registered-models/alias`, { json: { name, alias } });
  }
}
