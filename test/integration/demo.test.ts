/**
 * The demo path end to end on tiny data: real stack, real workers (private queues), real TensorFlow, but
 * its own topic, data/model folders, MLflow experiment and schedule ids, so nothing real is touched.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { MlflowClient } from '../../src/adapters/mlflow';
import { createKafka } from '../../src/adapters/kafka/client';
import { createPool } from '../../src/adapters/pg/pool';
import { MlopsClient } from '../../src/client';
import { renderDemoSummary, type DemoSummary } from '../../src/cli/demo-summary';
import { runDemo } from '../../src/cli/demo';
import { ModelStore } from '../../src/domain/registry/store';

Runtime.install({ logger: new DefaultLogger('WARN') });

const tag = randomUUID().slice(0, 8);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-it-'));
const cfg = loadConfig({
  ...process.env,
  DATA_DIR: path.join(dir, 'data'),
  MODELS_DIR: path.join(dir, 'models'),
  // 4 000 training images: one epoch in seconds.
  VALIDATION_SIZE: '1000',
  STREAM_SIZE: '55000',
  KAFKA_TOPIC: `it-demo-${tag}`,
  KAFKA_DLQ_TOPIC: `it-demo-${tag}.dlq`,
  KAFKA_CONSUMER_GROUP: `it-demo-${tag}`,
  MLFLOW_EXPERIMENT: `it-demo-${tag}`,
  MLFLOW_REGISTERED_MODEL: `it-demo-${tag}`,
  DEMO_EPOCHS: '1',
  DEMO_STREAM_COUNT: '200',
  DEMO_STREAM_INTERVAL: '20m',
  DEMO_RETRAIN_INTERVAL: '2h',
});
const options = {
  stackIsUp: true,
  workers: { ioTaskQueue: `it-demo-io-${tag}`, trainingTaskQueue: `it-demo-training-${tag}` },
  scheduleIdPrefix: `it-demo-${tag}-`,
};
const runs: DemoSummary[] = [];

afterAll(async () => {
  const mlops = await MlopsClient.connect(cfg, { schedules: { idPrefix: options.scheduleIdPrefix } });
  await mlops.schedules.delete('all').catch(() => undefined);
  await mlops.close();
  const pool = createPool(cfg.postgres, 1);
  try {
    const cycles = runs.map((r) => r.retrain.cycleId);
    const versions = runs.flatMap((r) => [r.retrain.championBefore, r.retrain.championAfter]).filter(Boolean);
    await pool.query('DELETE FROM batches WHERE topic = $1', [cfg.kafka.topic]);
    await pool.query('DELETE FROM published_samples WHERE topic = $1', [cfg.kafka.topic]);
    await pool.query('DELETE FROM retrain_cycles WHERE id = ANY($1::text[])', [cycles]);
    await pool.query('DELETE FROM model_lineage WHERE version_id = ANY($1::text[])', [versions]);
  } finally {
    await pool.end();
  }
  const admin = createKafka(cfg.kafka).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [cfg.kafka.topic, cfg.kafka.deadLetterTopic] }).catch(() => undefined);
  await admin.disconnect();
  const mlflow = new MlflowClient(cfg.mlflow);
  await mlflow.registry.deleteRegisteredModel(cfg.mlflow.registeredModel).catch(() => undefined);
  const exp = await mlflow.tracking.getExperimentByName(cfg.mlflow.experiment);
  if (exp) await mlflow.tracking.deleteExperiment(exp.experiment_id);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('npm run demo, on tiny data', () => {
  it('bootstraps, streams, retrains, summarises and leaves the schedules in place', async () => {
    const s = await runDemo(cfg, options);
    runs.push(s);
    expect(s.steps.map((st) => st.name)).toEqual([
      'workers',
      'bootstrap',
      'stream',
      'retrain',
      'schedules',
      'workers stop',
    ]);
    expect(s.championBefore.reused).toBe(false);
    expect(s.retrain.counts).toEqual({ consumed: 200, valid: 200, deadLettered: 0 });
    expect(['promoted', 'rejected']).toContain(s.retrain.decision);
    expect(s.retrain.championBefore).toBe(s.championBefore.versionId);
    const champion = await new ModelStore(cfg.paths.modelsDir).champion();
    expect(champion?.versionId).toBe(s.retrain.championAfter);

    const text = renderDemoSummary(cfg, s);
    expect(text).toContain(`decision              ${s.retrain.decision}: ${s.retrain.reason}`);
    expect(text).toContain('consumed 200, used 200, dead-lettered 0');
    expect(text).toContain('http://127.0.0.1:8233/namespaces/default/workflows/mlops-retrain/');
    expect(text).toMatch(
      /MLflow retrain run: http:\/\/127\.0\.0\.1:5000\/#\/experiments\/\d+\/runs\/[0-9a-f]{32}/,
    );

    const mlops = await MlopsClient.connect(cfg, { schedules: { idPrefix: options.scheduleIdPrefix } });
    try {
      const states = await mlops.schedules.describe('all');
      expect(states.map((st) => [st.name, st.exists, st.paused, st.everyMs])).toEqual([
        ['stream', true, false, 20 * 60_000],
        ['retrain', true, false, 2 * 3_600_000],
        ['lag-trigger', true, false, cfg.schedules.lagCheckIntervalMs],
      ]);
    } finally {
      await mlops.close();
    }
  }, 900_000);

  it('reuses the champion on a second run, dropping a stream run queued while no worker was up', async () => {
    const mlops = await MlopsClient.connect(cfg, {
      schedules: { idPrefix: options.scheduleIdPrefix, taskQueue: options.workers.ioTaskQueue },
    });
    let queued: { workflowId: string; runId: string }[] = [];
    try {
      await mlops.schedules.trigger('stream');
      for (let i = 0; i < 50 && queued.length === 0; i++) {
        queued = await mlops.schedules.runningWorkflows('stream');
        if (queued.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await mlops.close();
    }
    expect(queued).toHaveLength(1);

    const s = await runDemo(cfg, options);
    runs.push(s);
    expect(s.championBefore.reused).toBe(true);
    expect(s.championBefore.versionId).toBe(runs[0]!.retrain.championAfter);
    expect(s.steps.find((st) => st.name === 'stream')?.outcome).toMatch(/^published 200, skipped 0/);
    // Only the demo's own 200 records: the queued scheduled stream (500 more) was terminated, not run.
    expect(s.retrain.counts.consumed).toBe(200);
    const check = await MlopsClient.connect(cfg);
    try {
      const d = await check.temporal.workflow.getHandle(queued[0]!.workflowId, queued[0]!.runId).describe();
      expect(d.status.name).toBe('TERMINATED');
    } finally {
      await check.close();
    }
  }, 900_000);
});
