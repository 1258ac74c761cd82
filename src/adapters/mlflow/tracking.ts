/** Experiments, runs, metrics/params/tags and dataset inputs: the tracking half of the MLflow REST API. */
import { MlflowError } from './errors';
import type { MlflowHttp } from './http';
import { filterKey, filterLiteral } from './search-filter';
import { codePointLength, metricValueFromWire, planLogBatch, toWireEntities } from './log-batch';
import {
  DATASET_LIMITS,
  IDEMPOTENCY_TAG,
  MlflowInputError,
  type CreateRunInput,
  type DatasetInput,
  type Experiment,
  type KeyValue,
  type LogBatchInput,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type SearchRunsRequest,
  type UpdateRunInput,
} from '../../domain/tracking/tracker';

const API = '/api/2.0/mlflow';

export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

function toTags(tags: Readonly<Record<string, string>> | undefined): KeyValue[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

export class MlflowTracking {
  constructor(private readonly http: MlflowHttp) {}

  /** The experiment with this name in any lifecycle stage, or undefined. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.http.json<{ experiment: Experiment }>('GET', `${API}/experiments/get-by-name`, {
        query: { experiment_name: name },
      });
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowError && err.isNotFound) return undefined;
      throw err;
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const r = await this.http.json<{ experiment: Experiment }>('GET', `${API}/experiments/get`, {
      query: { experiment_id: experimentId },
    });
    return r.experiment;
  }

  /**
   * The active experiment with this name, created when missing. Safe against concurrent callers (a lost
   * create race reads the winner's). A deleted experiment keeps its name in MLflow, so it is restored
   * (`onDeleted: 'restore'`, the default) or reported (`'error'`).
   */
  async getOrCreateExperiment(
    name: string,
    options: { tags?: Readonly<Record<string, string>>; onDeleted?: 'restore' | 'error' } = {},
  ): Promise<Experiment> {
    if (name.trim() === '' || codePointLength(name) > 500) {
      throw new MlflowInputError(
        `MLflow experiment name ${JSON.stringify(name)} must be 1 to 500 characters; set MLFLOW_EXPERIMENT`,
      );
    }
    let existing = await this.getExperimentByName(name);
    if (!existing) {
      try {
        const created = await this.http.json<{ experiment_id: string }>('POST', `${API}/experiments/create`, {
          json: { name, tags: toTags(options.tags) },
        });
        return await this.getExperiment(created.experiment_id);
      } catch (err) {
        if (!(err instanceof MlflowError && err.isAlreadyExists)) throw err;
        existing = await this.getExperimentByName(name);
        if (!existing) throw err;
      }
    }
    if (existing.lifecycle_stage === 'deleted') {
      if (options.onDeleted === 'error') {
        throw new MlflowInputError(
          `MLflow experiment ${JSON.stringify(name)} (id ${existing.experiment_id}) is deleted; restore it in the ` +
            'MLflow UI, purge it with `mlflow gc`, or choose another name with MLFLOW_EXPERIMENT',
        );
      }
      await this.http.json('POST', `${API}/experiments/restore`, {
        json: { experiment_id: existing.experiment_id },
      });
      return this.getExperiment(existing.experiment_id);
    }
    return existing;
  }

  /** Soft delete: the name stays taken until `mlflow gc` purges it (see getOrCreateExperiment). */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.http.json('POST', `${API}/experiments/delete`, { json: { experiment_id: experimentId } });
  }

  async createRun(input: CreateRunInput): Promise<Run> {
    const tags = input.tags ?? {};
    toWireEntities({ tags }); // same key/value rules as log-batch: fail before anything is created
    const r = await this.http.json<{ run: Run }>('POST', `${API}/runs/create`, {
      json: {
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime ?? Date.now(),
        tags: toTags(tags),
      },
    });
    return r.run;
  }

  /**
   * The run tagged with this idempotency key, or a new one carrying it. A retried activity thus finds the
   * run its earlier attempt created instead of starting a second one.
   */
  async getOrCreateRun(
    input: CreateRunInput & { idempotencyKey: string },
  ): Promise<{ run: Run; created: boolean }> {
    const [found] = await this.findRunsByTag([input.experimentId], IDEMPOTENCY_TAG, input.idempotencyKey);
    if (found) return { run: found, created: false };
    const run = await this.createRun({
      ...input,
      tags: { ...input.tags, [IDEMPOTENCY_TAG]: input.idempotencyKey },
    });
    return { run, created: true };
  }

  async getRun(runId: string): Promise<Run> {
    const r = await this.http.json<{ run: Run }>('GET', `${API}/runs/get`, { query: { run_id: runId } });
    return r.run;
  }

  async updateRun(runId: string, update: UpdateRunInput): Promise<RunInfo> {
    const r = await this.http.json<{ run_info: RunInfo }>('POST', `${API}/runs/update`, {
      json: { run_id: runId, status: update.status, end_time: update.endTime, run_name: update.runName },
    });
    return r.run_info;
  }

  /** Ends a run: terminal status and end time now. */
  finishRun(runId: string, status: Extract<RunStatus, 'FINISHED' | 'FAILED' | 'KILLED'> = 'FINISHED') {
    return this.updateRun(runId, { status, endTime: Date.now() });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    toWireEntities({ tags: { [key]: value } });
    await this.http.json('POST', `${API}/runs/set-tag`, { json: { run_id: runId, key, value } });
  }

  /** One page of runs/search. */
  async searchRuns(req: SearchRunsRequest): Promise<{ runs: Run[]; nextPageToken?: string }> {
    const r = await this.http.json<{ runs?: Run[]; next_page_token?: string }>('POST', `${API}/runs/search`, {
      json: req,
    });
    return { runs: r.runs ?? [], ...(r.next_page_token ? { nextPageToken: r.next_page_token } : {}) };
  }

  /** Active runs whose tag `key` equals `value`, oldest first, all pages. */
  async findRunsByTag(experimentIds: string[], key: string, value: string): Promise<Run[]> {
    const runs: Run[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({
        experiment_ids: experimentIds,
        filter: `tags.${filterKey(key)} = ${filterLiteral(value)}`,
        run_view_type: 'ACTIVE_ONLY',
        order_by: ['attributes.start_time ASC'],
        max_results: 1000,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      runs.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return runs;
  }

  /**
   * Logs metrics, params and tags in as many runs/log-batch requests as MLflow's limits need, all validated
   * first. Returns how many requests were sent.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<{ requests: number }> {
    const chunks = planLogBatch(input);
    for (const chunk of chunks) {
      await this.http.json('POST', `${API}/runs/log-batch`, { json: { run_id: runId, ...chunk } });
    }
    return { requests: chunks.length };
  }

  /** Every logged value of one metric, in MLflow's order (by step, then timestamp). */
  async getMetricHistory(runId: string, metricKey: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.json<{ metrics?: Metric[]; next_page_token?: string }>(
        'GET',
        `${API}/metrics/get-history`,
        { query: { run_id: runId, metric_key: metricKey, max_results: 25000, page_token: pageToken } },
      );
      for (const m of r.metrics ?? []) {
        points.push({
          step: Number(m.step ?? 0),
          value: metricValueFromWire(m.value),
          timestamp: m.timestamp,
        });
      }
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  /** Records the datasets a run consumed (shown under "Datasets used" in the MLflow UI). */
  async logInputs(runId: string, datasets: readonly DatasetInput[]): Promise<void> {
    if (datasets.length === 0) return;
    datasets.forEach(checkDatasetInput);
    for (let i = 0; i < datasets.length; i += 1000) {
      await this.http.json('POST', `${API}/runs/log-inputs`, {
        json: { run_id: runId, datasets: datasets.slice(i, i + 1000) },
      });
    }
  }
}

function checkDatasetInput(input: DatasetInput): void {
  const d = input.dataset;
  const L = DATASET_LIMITS;
  const fields: [string, string | undefined, number, boolean][] = [
    ['name', d.name, L.maxName, true],
    ['digest', d.digest, L.maxDigest, true],
    ['source_type', d.source_type, 36, true],
    ['source', d.source, L.maxSource, true],
    ['schema', d.schema, L.maxSchema, false],
    ['profile', d.profile, L.maxProfile, false],
  ];
  for (const [field, value, max, required] of fields) {
    if (value === undefined || value === '') {
      if (required) {
        throw new MlflowInputError(
          `MLflow dataset ${JSON.stringify(d.name ?? '?')} needs a non-empty ${field}`,
        );
      }
      continue;
    }
    if (codePointLength(value) > max) {
      throw new MlflowInputError(
        `MLflow dataset ${JSON.stringify(d.name)} has a ${field} of ${codePointLength(value)} characters; the limit is ${max}`,
      );
    }
  }
  for (const tag of input.tags ?? []) {
    if (codePointLength(tag.key) > L.maxTagKey || codePointLength(tag.value) > L.maxTagValue) {
      throw new MlflowInputError(
        `MLflow dataset ${JSON.stringify(d.name)} tag ${JSON.stringify(tag.key.slice(0, 40))} is too long ` +
          `(key ≤ ${L.maxTagKey}, value ≤ ${L.maxTagValue} characters)`,
      );
    }
  }
}
