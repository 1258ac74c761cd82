/**
 * The web app in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against
 * the real inference server and the real stack: a 7 from the MNIST test set is drawn with the mouse, the
 * champion (a small CNN trained here) must call it a 7, the labelled drawing is submitted with the token
 * and read back from Kafka with its headers, the sample's trail reaches the retrain cycle that used it,
 * and the dashboard draws its charts and links its cycle rows to Temporal and MLflow runs that exist.
 * Screenshots go to test-results/.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createKafka } from '../../src/adapters/kafka/client';
import { MlflowClient } from '../../src/adapters/mlflow';
import { temporalConnectionOptions } from '../../src/adapters/temporal-connection';
import { loadTf } from '../../src/adapters/tf-backend';
import { workflowUrl } from '../../src/client/connection';
import { loadConfig, REPO_ROOT } from '../../src/config';
import type { MnistSet } from '../../src/domain/data/types';
import { Ledger } from '../../src/adapters/pg/ledger';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate } from '../../src/domain/model/evaluate';
import type { Hyperparameters } from '../../src/domain/model/hyperparameters';
import { modelWriter } from '../../src/domain/model/persistence';
import { train } from '../../src/domain/model/train';
import { ModelStore } from '../../src/domain/registry/store';
import { buildServer } from '../../src/serve/server';
import { openServeServices, type OpenedServe } from '../../src/serve/services';
import { webApp } from '../../src/serve/web';
import type { SampleView } from '../../src/serve/web/api-types';
import { buildWeb } from '../../src/serve/web/build';
import { readMnist } from '../support/mnist-fixture';

const CHROMIUM = '/usr/bin/chromium';
const run = randomUUID().slice(0, 8);
const TOKEN = `it-web-token-${run}`;
const SHOTS = path.join(REPO_ROOT, 'test-results');
const tf = loadTf('cpu');

let tmp: string;
let cfg: ReturnType<typeof loadConfig>;
let opened: OpenedServe | undefined;
let server: FastifyInstance | undefined;
let base: string;
let browser: Browser | undefined;
let page: Page;
let ledger: Ledger;
let temporal: Connection | undefined;
let experimentId: string | undefined;
const versions = { first: `it-web-${run}-v1`, second: `it-web-${run}-v2` };
const cycles = {
  rejected: { id: '', runId: '' },
  promoted: { id: '', runId: '', mlflowRunId: '' },
};

/** A version of the project's CNN trained on `samples` MNIST training images, stored with its scores. */
async function storeVersion(
  store: ModelStore,
  versionId: string,
  samples: number,
  epochs: number,
  parentVersionId: string | null,
) {
  const hyper: Hyperparameters = { optimizer: 'adam', learningRate: 0.002, batchSize: 64, epochs, seed: 5 };
  const model = createCnn(tf, hyper);
  try {
    await train(tf, model, readMnist('train', samples), { hyper });
    const validation: MnistSet = readMnist('train', 500, 50_000);
    const test: MnistSet = readMnist('t10k', 500, 1000);
    const [v, t] = [await evaluate(tf, model, validation), await evaluate(tf, model, test)];
    await store.storeVersion(modelWriter(tf, model), {
      versionId,
      createdAt: new Date().toISOString(),
      metrics: { validation_accuracy: v.accuracy, test_accuracy: t.accuracy },
      hyperparameters: { ...hyper },
      seed: hyper.seed,
      lineage: { splitManifestHash: null, batchIds: [], parentVersionId },
      gitCommit: 'web-browser-test',
    });
    return { validation: v.accuracy, test: t.accuracy };
  } finally {
    model.dispose();
  }
}

/** A real (terminated) workflow run, so that a cycle's Temporal link names an execution that exists. */
async function workflowRun(client: Client, workflowId: string): Promise<string> {
  const handle = await client.workflow.start('itWebCycle', {
    taskQueue: `it-web-nobody-${run}`,
    workflowId,
    args: [],
  });
  await handle.terminate('made by the web browser test: a link target, never run');
  return handle.firstExecutionRunId;
}

/** What page functions use of a canvas (this file is type-checked without the DOM library). */
interface Canvas2d {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

/** Waits until the text of `selector` matches `pattern` (checked in the page). */
function textMatches(p: Page, selector: string, pattern: RegExp, timeout = 30_000) {
  return p.waitForFunction(
    ([sel, src, flags]) =>
      new RegExp(src!, flags).test(
        (
          globalThis as unknown as {
            document: { querySelector(s: string): { textContent: string | null } | null };
          }
        ).document.querySelector(sel!)?.textContent ?? '',
      ),
    [selector, pattern.source, pattern.flags],
    { timeout },
  );
}

/** Pixels of a canvas that are not the background (alpha > 0), and those close to one colour. */
async function canvasInk(p: Page, selector: string, rgb: [number, number, number]) {
  return p.$eval(
    selector,
    (c, color) => {
      const canvas = c as unknown as Canvas2d;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let drawn = 0;
      let colored = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) drawn++;
        const [r, g, b] = color;
        if (
          data[i + 3]! > 200 &&
          Math.abs(data[i]! - r) < 24 &&
          Math.abs(data[i + 1]! - g) < 24 &&
          Math.abs(data[i + 2]! - b) < 24
        ) {
          colored++;
        }
      }
      return { drawn, colored, total: data.length / 4 };
    },
    rgb,
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser test drives Debian's chromium. Run \`npm run setup\` as root ` +
        '(it installs it with apt-get) or `sudo apt-get install chromium`.',
    );
  }
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'it-web-'));
  cfg = loadConfig({
    ...process.env,
    MODELS_DIR: path.join(tmp, 'models'),
    KAFKA_TOPIC: `it-web-${run}`,
    KAFKA_DLQ_TOPIC: `it-web-${run}.dlq`,
    KAFKA_CONSUMER_GROUP: `it-web-${run}`,
    KAFKA_PREDICTIONS_TOPIC: `it-web-${run}.predictions`,
    MLFLOW_EXPERIMENT: `it-web-${run}`,
    WEB_TOKEN: TOKEN,
    WEB_REFRESH_S: '1',
  });
  await buildWeb();

  // Two champions in a row: a weak one, then a better one promoted by a "retrain cycle".
  const store = new ModelStore(cfg.paths.modelsDir);
  await storeVersion(store, versions.first, 300, 1, null);
  await store.promote(versions.first);
  await storeVersion(store, versions.second, 2000, 1, versions.first);

  ledger = await Ledger.open(cfg.postgres);
  temporal = await Connection.connect(temporalConnectionOptions(cfg.temporal));
  const client = new Client({ connection: temporal, namespace: cfg.temporal.namespace });
  const mlflow = new MlflowClient(cfg.mlflow);
  experimentId = (await mlflow.tracking.getOrCreateExperiment(cfg.mlflow.experiment)).experiment_id;

  cycles.rejected.runId = await workflowRun(client, `it-web-retrain-a-${run}`);
  cycles.rejected.id = `it-web-retrain-a-${run}-${cycles.rejected.runId}`;
  cycles.promoted.runId = await workflowRun(client, `it-web-retrain-b-${run}`);
  cycles.promoted.id = `it-web-retrain-b-${run}-${cycles.promoted.runId}`;
  await ledger.recordRetrainCycle({
    id: cycles.rejected.id,
    decision: 'rejected',
    reason: 'validation gain 0.0002 below PROMOTION_MIN_GAIN 0.001',
    championBefore: versions.first,
    championAfter: versions.first,
    metrics: {
      consumed: 500,
      valid: 497,
      dead_lettered: 3,
      prequential_accuracy: 0.81,
      champion_validation_accuracy: 0.84,
    },
  });
  cycles.promoted.mlflowRunId = (
    await mlflow.tracking.createRun({
      experimentId,
      runName: 'retrain (browser test)',
      tags: { kind: 'retrain', cycle_id: cycles.promoted.id, decision: 'promoted' },
    })
  ).info.run_id;
  await ledger.recordRetrainCycle({
    id: cycles.promoted.id,
    decision: 'promoted',
    reason: 'validation +6.1 pt, test +5.8 pt',
    championBefore: versions.first,
    championAfter: versions.second,
    metrics: {
      consumed: 500,
      valid: 499,
      dead_lettered: 1,
      prequential_accuracy: 0.79,
      champion_validation_accuracy: 0.84,
    },
  });
  // A batch with a poison record, so the dead-letter tile has a reason to show.
  await ledger.recordBatch(
    {
      // Far beyond the offsets this test publishes at, which later get a batch of their own.
      id: `${cfg.kafka.topic}-0-1000000-1000001`,
      topic: cfg.kafka.topic,
      partition: 0,
      startOffset: '1000000',
      endOffset: '1000001',
      filePath: '/nowhere.msb',
      sha256: '0'.repeat(64),
      consumedCount: 2,
      validCount: 1,
      deadLetteredCount: 1,
      deadLettersByReason: { 'label-out-of-range': 1 },
    },
    [`it-web-${run}-stream-0`],
  );
  await ledger.recordModelVersion({
    versionId: versions.first,
    parentVersionId: null,
    retrainCycleId: null,
    batchIds: [],
    splitManifestSha256: 'it-web',
  });
  await ledger.recordModelVersion({
    versionId: versions.second,
    parentVersionId: versions.first,
    retrainCycleId: cycles.promoted.id,
    batchIds: [],
    splitManifestSha256: 'it-web',
  });
  await store.promote(versions.second);

  opened = await openServeServices(cfg, { info: () => undefined, warn: () => undefined });
  server = await buildServer(opened.services, { plugins: [webApp] });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  await fs.mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await opened?.close(1000);
  if (ledger) {
    const topic = cfg.kafka.topic;
    await ledger.pool.query('DELETE FROM web_feedback WHERE topic = $1', [topic]);
    await ledger.pool.query('DELETE FROM published_samples WHERE topic = $1', [topic]);
    await ledger.pool.query('DELETE FROM batches WHERE topic = $1', [topic]);
    await ledger.pool.query('DELETE FROM retrain_cycles WHERE id = ANY($1)', [
      [cycles.rejected.id, cycles.promoted.id],
    ]);
    await ledger.pool.query('DELETE FROM model_lineage WHERE version_id = ANY($1)', [
      [versions.second, versions.first],
    ]);
    await ledger.close();
  }
  if (experimentId)
    await new MlflowClient(cfg.mlflow).tracking.deleteExperiment(experimentId).catch(() => undefined);
  const admin = createKafka(cfg.kafka).admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: [cfg.kafka.topic, cfg.kafka.deadLetterTopic, cfg.serve.predictionsTopic] })
    .catch(() => undefined);
  await admin.disconnect();
  await temporal?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
}, 60_000);

describe('the web app in Chromium', () => {
  let sampleId: string;
  let sentPixels: number[];

  it('recognises a 7 drawn with the mouse from an MNIST test image, live, and names the version', async () => {
    await page.goto(base);
    const mnist = readMnist('t10k', 1);
    expect(mnist.labels[0]).toBe(7);
    const pad = (await page.locator('#pad').boundingBox())!;
    const scale = pad.width / 28;
    // Each row's run of ink becomes one horizontal stroke; the pad's 18-pixel pen fills the 10-pixel rows.
    let strokes = 0;
    for (let y = 0; y < 28; y++) {
      let x = 0;
      while (x < 28) {
        if (mnist.images[y * 28 + x]! <= 100) {
          x++;
          continue;
        }
        const start = x;
        while (x < 28 && mnist.images[y * 28 + x]! > 100) x++;
        const py = pad.y + (y + 0.5) * scale;
        await page.mouse.move(pad.x + (start + 0.5) * scale, py);
        await page.mouse.down();
        await page.mouse.move(pad.x + (x - 0.5) * scale, py, { steps: Math.max(2, x - start) });
        await page.mouse.up();
        strokes++;
      }
    }
    expect(strokes).toBeGreaterThan(10);
    await textMatches(page, '#prediction', /^\d$/);
    // The last answer is for the whole drawing (the pad predicts again when the last stroke ends).
    await page.waitForTimeout(500);
    expect(await page.textContent('#prediction')).toBe('7');
    expect(await page.textContent('#answered-by')).toBe(`answered by version ${versions.second}`);
    const bars = await canvasInk(page, '#prob-chart', [0x2f, 0x6f, 0xde]);
    expect(bars.colored).toBeGreaterThan(200); // the winning bar, in the accent colour
    const preview = await page.$eval('#preview', (c) => {
      const d = (c as unknown as Canvas2d).getContext('2d').getImageData(0, 0, 28, 28).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 0) lit++;
      return lit;
    });
    expect(preview).toBeGreaterThan(60);
    // The champion's answer is preselected as the label.
    expect(await page.getAttribute('#labels button[data-label="7"]', 'aria-checked')).toBe('true');
    await page.locator('main').screenshot({ path: path.join(SHOTS, 'web-draw.png') });
  });

  it('refuses a submission without the token and says what to send', async () => {
    await page.click('#submit');
    await textMatches(page, '#submit-result', /^Refused/);
    expect(await page.textContent('#submit-result')).toMatch(
      /Refused \(401\): .*Authorization: Bearer <WEB_TOKEN>/,
    );
  });

  it('publishes the labelled drawing to Kafka in record format v1 and shows where it went', async () => {
    await page.fill('#token', TOKEN);
    const request = page.waitForRequest((r) => r.url().endsWith('/api/samples') && r.method() === 'POST');
    await page.click('#submit');
    sentPixels = ((await request).postDataJSON() as { pixels: number[] }).pixels;
    await textMatches(page, '#submit-result', /^Published/);
    const text = (await page.textContent('#submit-result'))!;
    const m = /^Published (web-[0-9a-f-]{36}) with label 7 to (\S+), partition (\d+), offset (\d+)\.$/.exec(
      text,
    );
    expect(m).not.toBeNull();
    sampleId = m![1]!;
    expect(m![2]).toBe(cfg.kafka.topic);

    const kafka = createKafka(cfg.kafka, `it-web-reader-${run}`);
    const consumer = kafka.consumer({ groupId: `it-web-reader-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topic: cfg.kafka.topic, fromBeginning: true });
    const record = await new Promise<{
      partition: number;
      offset: string;
      key: string;
      value: Buffer;
      headers: Record<string, string>;
    }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`record ${sampleId} not read back within 30 s`)),
        30_000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (message.key?.toString() !== sampleId) return;
          clearTimeout(timer);
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
          );
          resolve({ partition, offset: message.offset, key: sampleId, value: message.value!, headers });
        },
      });
    }).finally(() => consumer.disconnect());
    expect(record.headers).toEqual({ schema: 'mnist-sample/v1', label: '7', source: 'web' });
    expect(String(record.partition)).toBe(m![3]);
    expect(record.offset).toBe(m![4]);
    expect(record.value.length).toBe(784);
    expect(Array.from(record.value)).toEqual(sentPixels);

    const view = (await (await fetch(`${base}/api/samples/${sampleId}`)).json()) as SampleView;
    expect(view).toMatchObject({
      id: sampleId,
      label: 7,
      predicted: 7,
      modelVersion: versions.second,
      batch: null,
      cycle: null,
    });
    await page.waitForSelector(`tr[data-sample="${sampleId}"]`);
  });

  it('follows the sample to the retrain cycle that trained on it', async () => {
    const offset = (await ledger.sampleTrail(sampleId))!.feedback.offset;
    const batchId = `${cfg.kafka.topic}-0-${offset}-${offset}`;
    await ledger.recordBatch(
      {
        id: batchId,
        topic: cfg.kafka.topic,
        partition: 0,
        startOffset: offset,
        endOffset: offset,
        filePath: '/nowhere.msb',
        sha256: '1'.repeat(64),
        consumedCount: 1,
        validCount: 1,
        deadLetteredCount: 0,
      },
      [sampleId],
    );
    await ledger.markBatchesUsed([batchId], cycles.promoted.id);
    const row = page.locator(`tr[data-sample="${sampleId}"]`);
    await row.locator('.decision.promoted').waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain(`promoted ${versions.second}`);
    expect(await row.locator('a', { hasText: 'workflow' }).getAttribute('href')).toBe(
      workflowUrl(cfg, `it-web-retrain-b-${run}`, cycles.promoted.runId),
    );
  });

  it('shows the dashboard: champion, charts drawn, and cycle rows linking to runs that exist', async () => {
    await page.waitForSelector(`tr[data-cycle="${cycles.promoted.id}"]`);
    // Accuracy in service counts every web sample in the ledger; this test's version has exactly one.
    await textMatches(page, '#tile-service', new RegExp(`latest version ${versions.second}: 1/1`));
    expect(await page.textContent('#champion-version')).toBe(versions.second);
    expect(await page.textContent('#tile-champion')).toContain(
      'promoted by a retrain cycle: validation +6.1 pt',
    );
    expect(await page.textContent('#tile-dead-letters')).toMatch(/label-out-of-range\s*1/);
    expect(await page.textContent('#tile-lag')).toMatch(/^consumer lag\s*1/);

    // Charts: drawn, and drawn with their data (the series colours), not just axes.
    const accuracy = await canvasInk(page, '#versions-chart', [0x2f, 0x6f, 0xde]);
    expect(accuracy.drawn).toBeGreaterThan(accuracy.total * 0.01);
    expect(accuracy.colored).toBeGreaterThan(50);
    const drift = await canvasInk(page, '#drift-chart', [0xd9, 0x82, 0x2b]);
    expect(drift.colored).toBeGreaterThan(50);

    const row = page.locator(`tr[data-cycle="${cycles.promoted.id}"]`);
    expect(await row.textContent()).toContain('validation +6.1 pt, test +5.8 pt');
    const temporalHref = await row.locator('a[data-link="temporal"]').getAttribute('href');
    expect(temporalHref).toBe(
      `http://127.0.0.1:${cfg.temporal.uiPort}/namespaces/${cfg.temporal.namespace}/workflows/it-web-retrain-b-${run}/${cycles.promoted.runId}`,
    );
    const mlflowHref = await row.locator('a[data-link="mlflow"]').getAttribute('href');
    expect(mlflowHref).toBe(
      `${cfg.mlflow.trackingUri}/#/experiments/${experimentId}/runs/${cycles.promoted.mlflowRunId}`,
    );
    // The rejected cycle has no MLflow run: its row says so instead of linking nowhere.
    const rejected = page.locator(`tr[data-cycle="${cycles.rejected.id}"]`);
    expect(await rejected.locator('a[data-link="mlflow"]').count()).toBe(0);

    // The links work: the Temporal UI answers, and its server knows that run; MLflow has that run.
    expect((await fetch(temporalHref!)).status).toBe(200);
    const client = new Client({ connection: temporal!, namespace: cfg.temporal.namespace });
    const described = await client.workflow
      .getHandle(`it-web-retrain-b-${run}`, cycles.promoted.runId)
      .describe();
    expect(described.runId).toBe(cycles.promoted.runId);
    const basic = `Basic ${Buffer.from(`${cfg.mlflow.username}:${cfg.mlflow.password}`).toString('base64')}`;
    const ui = await fetch(mlflowHref!.split('#')[0]!, { headers: { authorization: basic } });
    expect(ui.status).toBe(200);
    const [, fragment] = mlflowHref!.split('#/experiments/');
    const [exp, , runId] = fragment!.split('/');
    const got = await fetch(`${cfg.mlflow.trackingUri}/api/2.0/mlflow/runs/get?run_id=${runId}`, {
      headers: { authorization: basic },
    });
    expect(got.status).toBe(200);
    const body = (await got.json()) as {
      run: { info: { experiment_id: string }; data: { tags: { key: string; value: string }[] } };
    };
    expect(body.run.info.experiment_id).toBe(exp);
    expect(body.run.data.tags).toEqual(
      expect.arrayContaining([{ key: 'cycle_id', value: cycles.promoted.id }]),
    );

    await page.locator('#dashboard').screenshot({ path: path.join(SHOTS, 'web-dashboard.png') });
    await page.screenshot({ path: path.join(SHOTS, 'web-page.png'), fullPage: true });
  });
});
