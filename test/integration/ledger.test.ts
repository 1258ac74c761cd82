import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/adapters/pg/pool';
import { migrate, MigrationError } from '../../src/adapters/pg/migrate';
import { Ledger } from '../../src/adapters/pg/ledger';
import type { BatchEntry } from '../../src/domain/ledger/types';

const cfg = loadConfig();
const run = randomUUID().slice(0, 8);
const topic = `it-ledger-${run}`;
let ledger: Ledger;

beforeAll(async () => {
  ledger = await Ledger.open(cfg.postgres);
});
afterAll(() => ledger?.close());

function batch(start: number, end: number, over: Partial<BatchEntry> = {}): BatchEntry {
  const valid = over.validCount ?? end - start + 1;
  return {
    id: `${topic}-0-${start}-${end}`,
    topic,
    partition: 0,
    startOffset: String(start),
    endOffset: String(end),
    filePath: `/data/to_use_for_training/${topic}-0-${start}-${end}.msb`,
    sha256: 'a'.repeat(64),
    consumedCount: end - start + 1,
    validCount: valid,
    deadLetteredCount: end - start + 1 - valid,
    ...over,
  };
}
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${run}-s${from + i}`);

describe('ledger migrations', () => {
  it('applies each migration once, also when two processes start together', async () => {
    const pools = [createPool(cfg.postgres), createPool(cfg.postgres)];
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      for (const r of results) {
        expect(r.applied).toEqual([]);
        expect(r.alreadyApplied).toContain('001_ledger.sql');
      }
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('applies new files in order under the lock and refuses an edited one', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const table = `it_mig_${run.replace(/-/g, '')}`;
    const pool = createPool(cfg.postgres);
    try {
      await fs.writeFile(path.join(dir, '001_a.sql'), `CREATE TABLE ${table} (x int);`);
      await fs.writeFile(path.join(dir, '002_b.sql'), `INSERT INTO ${table} VALUES (1);`);
      // Two runners race: the advisory lock lets only one apply each file.
      const [a, b] = await Promise.all([migrate(pool, dir), migrate(pool, dir)]);
      expect([...a.applied, ...b.applied].sort()).toEqual(['001_a.sql', '002_b.sql']);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1);

      await fs.writeFile(path.join(dir, '002_b.sql'), `INSERT INTO ${table} VALUES (2);`);
      await expect(migrate(pool, dir)).rejects.toThrow(/002_b.sql changed after it was applied/);
      await fs.writeFile(path.join(dir, '3_bad.sql'), 'SELECT 1;');
      await expect(migrate(pool, dir)).rejects.toThrow(MigrationError);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.query(`DELETE FROM schema_migrations WHERE name IN ('001_a.sql', '002_b.sql')`);
      await pool.end();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration completely', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const table = `it_mig_fail_${run.replace(/-/g, '')}`;
    const pool = createPool(cfg.postgres);
    try {
      await fs.writeFile(
        path.join(dir, '001_fail.sql'),
        `CREATE TABLE ${table} (x int); SELECT no_such_function();`,
      );
      await expect(migrate(pool, dir)).rejects.toThrow(/001_fail.sql failed and was rolled back/);
      const { rows } = await pool.query('SELECT to_regclass($1) AS t', [table]);
      expect(rows[0].t).toBeNull();
    } finally {
      await pool.end();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ledger', () => {
  it('records a batch once; a retry is a no-op, other content is refused', async () => {
    expect(await ledger.recordBatch(batch(0, 9), ids(0, 10))).toBe('recorded');
    expect(await ledger.recordBatch(batch(0, 9), ids(0, 10))).toBe('already-recorded');
    await expect(
      ledger.recordBatch(batch(0, 9, { sha256: 'b'.repeat(64) }), ids(0, 10)),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    expect(await ledger.batchSampleIds(`${topic}-0-0-9`)).toEqual(ids(0, 10).sort());
    expect(await ledger.getBatch(`${topic}-0-0-9`)).toMatchObject({ status: 'snapshotted', validCount: 10 });
  });

  it('never puts one sample in two batches', async () => {
    const dup = [...ids(10, 9), ids(0, 1)[0]!];
    await expect(ledger.recordBatch(batch(10, 19), dup)).rejects.toThrow(/already in another batch/);
    // The failed write left nothing behind.
    expect(await ledger.getBatch(`${topic}-0-10-19`)).toBeUndefined();
    expect(await ledger.samplesTakenElsewhere(dup, `${topic}-0-10-19`)).toEqual(
      new Map([[ids(0, 1)[0]!, `${topic}-0-0-9`]]),
    );
    expect((await ledger.samplesTakenElsewhere(ids(0, 3), `${topic}-0-0-9`)).size).toBe(0);
    // The constraint holds for any writer, not just this class.
    await expect(
      ledger.pool.query('INSERT INTO batch_samples (batch_id, sample_id) VALUES ($1, $2)', [
        `${topic}-0-0-9`,
        ids(0, 1)[0],
      ]),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('refuses batches whose offsets overlap', async () => {
    await expect(ledger.recordBatch(batch(5, 14), ids(100, 10))).rejects.toThrow(/overlaps/);
  });

  it('marks batches used by one cycle only and knows where to resume', async () => {
    await ledger.recordBatch(batch(10, 19, { validCount: 8 }), ids(10, 8));
    expect((await ledger.pendingBatches(topic)).map((b) => b.id)).toEqual([
      `${topic}-0-0-9`,
      `${topic}-0-10-19`,
    ]);
    const cycle = `cycle-${run}`;
    await ledger.markBatchesUsed([`${topic}-0-0-9`], cycle);
    await ledger.markBatchesUsed([`${topic}-0-0-9`], cycle);
    await expect(ledger.markBatchesUsed([`${topic}-0-0-9`], `other-${run}`)).rejects.toMatchObject({
      kind: 'conflict',
    });
    await expect(ledger.markBatchesUsed([`${topic}-0-99-99`], cycle)).rejects.toMatchObject({
      kind: 'not-found',
    });
    expect(await ledger.nextOffsets(topic)).toEqual({ 0: '10' });
    expect((await ledger.pendingBatches(topic)).map((b) => b.id)).toEqual([`${topic}-0-10-19`]);
    expect(await ledger.getBatch(`${topic}-0-0-9`)).toMatchObject({ status: 'used', retrainCycleId: cycle });
  });

  it('records published ids and counts replays', async () => {
    expect(await ledger.publishedAmong(ids(200, 3))).toEqual(new Set());
    await ledger.recordPublished(ids(200, 2), topic);
    await ledger.recordPublished(ids(200, 1), topic);
    expect(await ledger.publishedAmong(ids(200, 3))).toEqual(new Set(ids(200, 2)));
    const { rows } = await ledger.pool.query(
      'SELECT publish_count FROM published_samples WHERE sample_id = $1',
      [ids(200, 1)[0]],
    );
    expect(rows[0].publish_count).toBe(2);
  });

  it('records retrain cycles and model lineage idempotently', async () => {
    const cycle = {
      id: `wf-${run}`,
      decision: 'promoted' as const,
      reason: 'accuracy +0.4 pt',
      championBefore: `v1-${run}`,
      championAfter: `v2-${run}`,
      metrics: { accuracy: 0.991, loss: 0.03 },
    };
    expect(await ledger.recordRetrainCycle(cycle)).toBe('recorded');
    expect(await ledger.recordRetrainCycle(cycle)).toBe('already-recorded');
    await expect(ledger.recordRetrainCycle({ ...cycle, decision: 'rejected' })).rejects.toMatchObject({
      kind: 'conflict',
    });
    expect(await ledger.getRetrainCycle(cycle.id)).toEqual(cycle);
    const later = { ...cycle, id: `${cycle.id}-later`, decision: 'skipped' as const };
    await ledger.recordRetrainCycle(later);
    const [newest, previous] = await ledger.recentCycles(2);
    expect(newest).toMatchObject({ id: later.id, decision: 'skipped', championAfter: cycle.championAfter });
    expect(previous).toMatchObject({ id: cycle.id, decision: cycle.decision, reason: cycle.reason });
    expect(newest!.recordedAt.getTime()).toBeGreaterThanOrEqual(previous!.recordedAt.getTime());

    const root = {
      versionId: `v1-${run}`,
      parentVersionId: null,
      retrainCycleId: null,
      batchIds: [],
      splitManifestSha256: 'm',
    };
    const child = {
      versionId: `v2-${run}`,
      parentVersionId: root.versionId,
      retrainCycleId: cycle.id,
      batchIds: [`${topic}-0-0-9`],
      splitManifestSha256: 'm',
    };
    await expect(ledger.recordModelVersion(child)).rejects.toMatchObject({ kind: 'not-found' });
    expect(await ledger.recordModelVersion(root)).toBe('recorded');
    expect(await ledger.recordModelVersion(child)).toBe('recorded');
    expect(await ledger.recordModelVersion(child)).toBe('already-recorded');
    await expect(ledger.recordModelVersion({ ...child, batchIds: [] })).rejects.toMatchObject({
      kind: 'conflict',
    });
    expect((await ledger.lineage(child.versionId)).map((v) => v.versionId)).toEqual([
      child.versionId,
      root.versionId,
    ]);
  });
});

describe('web feedback in the ledger', () => {
  const webTopic = `${topic}-web`;
  // These rows would show on the web app's dashboard of this stack (cycles, accuracy in service).
  afterAll(async () => {
    await ledger.pool.query('DELETE FROM web_feedback WHERE topic = $1', [webTopic]);
    await ledger.pool.query('DELETE FROM batches WHERE topic = $1', [webTopic]);
    await ledger.pool.query("DELETE FROM retrain_cycles WHERE id LIKE 'wf-%' || $1", [run]);
  });
  const sample = (n: number) => `web-${run}-${n}`;
  const feedback = (n: number, label: number, predicted: number | null, version: string | null) => ({
    sampleId: sample(n),
    label,
    predicted,
    modelVersion: version,
    topic: webTopic,
    partition: 0,
    offset: String(n),
  });

  it('records a submission once and refuses the same id with another label', async () => {
    const f = feedback(0, 7, 1, `va-${run}`);
    expect(await ledger.recordWebFeedback(f)).toBe('recorded');
    expect(await ledger.recordWebFeedback(f)).toBe('already-recorded');
    await expect(ledger.recordWebFeedback({ ...f, label: 3 })).rejects.toMatchObject({ kind: 'conflict' });
    // The check constraints hold for any writer: a prediction needs the version that made it.
    await expect(ledger.recordWebFeedback({ ...feedback(99, 3, 3, null) })).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('follows a sample from its submission to its batch and to the cycle that trained on it', async () => {
    const f = feedback(1, 4, 9, `va-${run}`);
    await ledger.recordWebFeedback(f);
    const fresh = await ledger.sampleTrail(f.sampleId);
    expect(fresh).toMatchObject({ feedback: { ...f }, batch: null, cycle: null });
    expect(fresh!.feedback.submittedAt).toBeInstanceOf(Date);

    const b = { ...batch(1, 1), id: `${webTopic}-0-1-1`, topic: webTopic, validCount: 1, consumedCount: 1 };
    await ledger.recordBatch(b, [f.sampleId]);
    expect(await ledger.sampleTrail(f.sampleId)).toMatchObject({
      batch: { id: b.id, status: 'snapshotted' },
      cycle: null,
    });

    const cycle = {
      id: `wf-web-${run}`,
      decision: 'promoted' as const,
      reason: 'validation +0.3 pt',
      championBefore: `va-${run}`,
      championAfter: `vb-${run}`,
      metrics: { prequential_accuracy: 0.97 },
    };
    await ledger.recordRetrainCycle(cycle);
    await ledger.markBatchesUsed([b.id], cycle.id);
    const used = await ledger.sampleTrail(f.sampleId);
    expect(used).toMatchObject({ batch: { id: b.id, status: 'used' }, cycle });
    expect(used!.cycle!.recordedAt).toBeInstanceOf(Date);
    expect(Date.now() - used!.cycle!.recordedAt.getTime()).toBeLessThan(60_000);

    expect(await ledger.sampleTrail(sample(12345))).toBeUndefined();
  });

  it('counts correct served predictions per model version', async () => {
    const v1 = `acc1-${run}`;
    const v2 = `acc2-${run}`;
    await ledger.recordWebFeedback(feedback(10, 7, 7, v1));
    await ledger.recordWebFeedback(feedback(11, 3, 8, v1));
    await ledger.recordWebFeedback(feedback(12, 2, 2, v1));
    await ledger.recordWebFeedback(feedback(13, 5, 5, v2));
    await ledger.recordWebFeedback(feedback(14, 6, null, null)); // no champion in service: not counted
    const mine = (await ledger.serviceAccuracy()).filter((a) => a.modelVersion.endsWith(run));
    expect(mine.map(({ modelVersion, labelled, correct }) => ({ modelVersion, labelled, correct }))).toEqual([
      { modelVersion: `va-${run}`, labelled: 2, correct: 0 },
      { modelVersion: v1, labelled: 3, correct: 2 },
      { modelVersion: v2, labelled: 1, correct: 1 },
    ]);
  });

  it('lists the latest cycles newest first', async () => {
    const ids = [`wf-list-a-${run}`, `wf-list-b-${run}`];
    for (const id of ids) {
      await ledger.recordRetrainCycle({
        id,
        decision: 'rejected',
        reason: 'no gain',
        championBefore: null,
        championAfter: null,
        metrics: {},
      });
    }
    const recent = await ledger.recentCycles(3);
    expect(recent.length).toBeLessThanOrEqual(3);
    expect(recent.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
    expect(recent.map((c) => c.id).indexOf(ids[1]!)).toBeLessThan(recent.map((c) => c.id).indexOf(ids[0]!));
    const times = recent.map((c) => c.recordedAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});
