/**
 * An in-memory MLflow with the semantics the run plans rely on: runs found by the idempotency tag,
 * write-once params, exact duplicate metric points dropped (as MLflow's SQL store does), dataset inputs
 * deduplicated, artifacts overwritten, versions found by (run, source), aliases moved. `failOnce` makes
 * one call throw, like a crash of the activity at that point.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  IDEMPOTENCY_TAG,
  MlflowError,
  type DatasetInput,
  type ModelVersion,
  type Run,
} from '../../../src/adapters/mlflow';
import type { LogBatchInput } from '../../../src/adapters/mlflow';
import type { TrackingClient } from '../../../src/domain/tracking';

interface StoredRun {
  run: Run;
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: { key: string; value: number; step: number; timestamp: number }[];
  inputs: DatasetInput[];
}

export class FakeMlflow implements TrackingClient {
  readonly experiments = new Map<string, string>();
  readonly runs: StoredRun[] = [];
  readonly artifacts_ = new Map<string, Uint8Array>();
  readonly versions: ModelVersion[] = [];
  readonly aliases = new Map<string, string>();
  readonly calls: string[] = [];
  private failing: string | undefined;
  private clock = 1_700_000_000_000;

  failOnce(method: string): void {
    this.failing = method;
  }

  private enter(method: string): void {
    this.calls.push(method);
    if (this.failing === method) {
      this.failing = undefined;
      throw new MlflowError({
        status: 503,
        errorCode: 'TEMPORARILY_UNAVAILABLE',
        serverMessage: `injected failure in ${method}`,
        endpoint: method,
      });
    }
  }

  runById(runId: string): StoredRun {
    const r = this.runs.find((s) => s.run.info.run_id === runId);
    if (!r) throw new Error(`no run ${runId}`);
    return r;
  }

  private snapshot(s: StoredRun): Run {
    return {
      info: { ...s.run.info },
      data: {
        params: [...s.params].map(([key, value]) => ({ key, value })),
        tags: [...s.tags].map(([key, value]) => ({ key, value })),
      },
    };
  }

  readonly tracking: TrackingClient['tracking'] = {
    getOrCreateExperiment: async (name) => {
      this.enter('getOrCreateExperiment');
      if (!this.experiments.has(name)) this.experiments.set(name, String(this.experiments.size + 1));
      return { experiment_id: this.experiments.get(name)!, name, lifecycle_stage: 'active' };
    },
    getOrCreateRun: async (input) => {
      this.enter('getOrCreateRun');
      const found = this.runs.find((s) => s.tags.get(IDEMPOTENCY_TAG) === input.idempotencyKey);
      if (found) return { run: this.snapshot(found), created: false };
      const runId = `run${this.runs.length + 1}`;
      const stored: StoredRun = {
        run: {
          info: {
            run_id: runId,
            experiment_id: input.experimentId,
            status: 'RUNNING',
            start_time: (this.clock += 1000),
            artifact_uri: `mlflow-artifacts:/${input.experimentId}/${runId}/artifacts`,
            lifecycle_stage: 'active',
          },
          data: {},
        },
        params: new Map(),
        tags: new Map(Object.entries({ ...input.tags, [IDEMPOTENCY_TAG]: input.idempotencyKey })),
        metrics: [],
        inputs: [],
      };
      this.runs.push(stored);
      return { run: this.snapshot(stored), created: true };
    },
    logBatch: async (runId, input: LogBatchInput) => {
      this.enter('logBatch');
      const s = this.runById(runId);
      for (const [key, raw] of Object.entries(input.params ?? {})) {
        const value = String(raw);
        const before = s.params.get(key);
        if (before !== undefined && before !== value) {
          throw new MlflowError({
            status: 400,
            errorCode: 'INVALID_PARAMETER_VALUE',
            serverMessage: `Changing param values is not allowed. Param with key='${key}'`,
            endpoint: 'log-batch',
          });
        }
        s.params.set(key, value);
      }
      for (const [key, value] of Object.entries(input.tags ?? {})) s.tags.set(key, value);
      for (const m of input.metrics ?? []) {
        const point = { key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? Date.now() };
        const same = s.metrics.some(
          (p) =>
            p.key === point.key &&
            p.value === point.value &&
            p.step === point.step &&
            p.timestamp === point.timestamp,
        );
        if (!same) s.metrics.push(point);
      }
      return { requests: 1 };
    },
    logInputs: async (runId, datasets) => {
      this.enter('logInputs');
      const s = this.runById(runId);
      for (const d of datasets) {
        if (!s.inputs.some((i) => i.dataset.name === d.dataset.name && i.dataset.digest === d.dataset.digest))
          s.inputs.push(d);
      }
    },
    updateRun: async (runId, update) => {
      this.enter('updateRun');
      const s = this.runById(runId);
      if (update.status) s.run.info.status = update.status;
      return { ...s.run.info };
    },
  };

  readonly artifacts: TrackingClient['artifacts'] = {
    upload: async (artifactUri, artifactPath, bytes) => {
      this.enter('upload');
      this.artifacts_.set(`${artifactUri}/${artifactPath}`, bytes);
    },
    uploadDirectory: async (artifactUri, localDir, artifactPath = '') => {
      this.enter('uploadDirectory');
      let bytes = 0;
      const names = (await fs.readdir(localDir)).sort();
      for (const name of names) {
        const content = await fs.readFile(path.join(localDir, name));
        this.artifacts_.set(`${artifactUri}/${artifactPath}/${name}`, content);
        bytes += content.byteLength;
      }
      return { files: names.length, bytes };
    },
  };

  readonly registry: TrackingClient['registry'] = {
    getOrCreateRegisteredModel: async (name) => {
      this.enter('getOrCreateRegisteredModel');
      return { name };
    },
    registerModelVersion: async (input) => {
      this.enter('registerModelVersion');
      const earlier = this.versions.find(
        (v) => v.name === input.name && v.run_id === input.runId && v.source === input.source,
      );
      if (earlier) return { version: earlier, created: false };
      const version: ModelVersion = {
        name: input.name,
        version: String(this.versions.filter((v) => v.name === input.name).length + 1),
        source: input.source,
        run_id: input.runId,
        status: 'READY',
        tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value })),
      };
      this.versions.push(version);
      return { version, created: true };
    },
    setAlias: async (name, alias, version) => {
      this.enter('setAlias');
      this.aliases.set(`${name}@${alias}`, version);
    },
  };

  /** Artifact paths of a run, relative to its root. */
  artifactPaths(run: Run | StoredRun): string[] {
    const root = `${'run' in run ? run.run.info.artifact_uri : run.info.artifact_uri}/`;
    return [...this.artifacts_.keys()]
      .filter((k) => k.startsWith(root))
      .map((k) => k.slice(root.length))
      .sort();
  }
}
