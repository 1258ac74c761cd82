import { cycleRecord, cycleResult, type CycleOutcome } from '../../../src/domain/cycle/outcome';
import type { BatchEntry } from '../../../src/domain/ledger/types';
import { planRetrainRun, retrainRunInput } from '../../../src/domain/tracking';

const score = (accuracy: number) => ({ accuracy, loss: 1 - accuracy, count: 100 });
const splits = (v: number, t: number) => ({ validation: score(v), test: score(t) });
const settings = { fineTuneEpochs: 1, promotionMinGain: 0, promotionTestTolerance: 0.003 };

const tooFew: CycleOutcome = {
  cycleId: 'c1',
  decision: 'skipped',
  reason: 'skipped: not enough new data (3 records, need 100)',
  championBefore: 'v1',
  championAfter: 'v1',
  settings,
  counts: { consumed: 0, valid: 0, deadLettered: 0 },
  available: 3,
};

const promoted: CycleOutcome = {
  ...tooFew,
  cycleId: 'c2',
  decision: 'promoted',
  reason: 'validation accuracy +1.00 pt',
  championAfter: 'v2',
  available: undefined,
  counts: { consumed: 200, valid: 195, deadLettered: 5 },
  batchIds: ['t-0-0-99', 't-1-0-99'],
  resumedBatch: false,
  deadLettersByReason: { garbage: 5 },
  prequential: score(0.9),
  champion: splits(0.95, 0.96),
  challenger: splits(0.96, 0.955),
  hyperparameters: { learningRate: 0.0003 },
  mix: { newCount: 195, replayCount: 195 },
  epochs: [{ epoch: 0, loss: 0.1, accuracy: 0.97, seconds: 2 }],
  promotedVersionId: 'v2',
};

const confusion = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => Number(i === j)));

const row = (partition: number, reasons: Record<string, number>): BatchEntry => ({
  id: `t-${partition}-0-99`,
  topic: 't',
  partition,
  startOffset: '0',
  endOffset: '99',
  filePath: `/data/${partition}.json`,
  sha256: String(partition).repeat(64),
  consumedCount: 100,
  validCount: 97 + partition,
  deadLetteredCount: 3 - partition,
  deadLettersByReason: reasons,
});

describe('cycle outcome', () => {
  it('derives the ledger record of a skipped cycle: what was waiting, no batch fields', () => {
    expect(cycleRecord(tooFew, 'run-1')).toEqual({
      cycleId: 'c1',
      decision: 'skipped',
      reason: tooFew.reason,
      championBefore: 'v1',
      championAfter: 'v1',
      metrics: { available: 3, mlflow_run_id: 'run-1' },
    });
  });

  it('derives the ledger metrics of a trained cycle with the promotion rule’s numbers', () => {
    const m = cycleRecord(promoted).metrics;
    expect(m).toMatchObject({
      prequential_accuracy: 0.9,
      champion_validation_accuracy: 0.95,
      challenger_test_accuracy: 0.955,
      consumed: 200,
      valid: 195,
      dead_lettered: 5,
      'dead_letters/garbage': 5,
      batch_ids: 't-0-0-99,t-1-0-99',
    });
    expect(m.validation_gain).toBeCloseTo(0.01, 12);
    expect(m.test_drop).toBeCloseTo(0.005, 12);
    expect(m).not.toHaveProperty('mlflow_run_id');
  });

  it('derives the workflow result', () => {
    expect(cycleResult(promoted, 'run-2')).toEqual({
      cycleId: 'c2',
      decision: 'promoted',
      reason: promoted.reason,
      batchIds: promoted.batchIds,
      counts: promoted.counts,
      championBefore: 'v1',
      championAfter: 'v2',
      prequentialAccuracy: 0.9,
      champion: promoted.champion,
      challenger: promoted.challenger,
      mlflowRunId: 'run-2',
      resumedBatch: false,
    });
    expect(cycleResult(tooFew)).not.toHaveProperty('batchIds');
  });

  it('derives the MLflow run: one dataset for all partitions, dead letters from the ledger rows', () => {
    const input = retrainRunInput(promoted, {
      workflowId: 'mlops-retrain',
      gitCommit: 'abc',
      replayShare: 0.5,
      batches: [row(0, { garbage: 3 }), row(1, { 'label-out-of-range': 2 })],
      confusion,
      promotedVersionDir: '/models/archive/v2',
    });
    expect(input.batch).toEqual({
      batchId: 't-0-0-99',
      sha256: '0'.repeat(64),
      records: 195,
      topic: 't',
      offsets: { '0': '0..99', '1': '0..99' },
    });
    expect(input.counts.deadLettersByReason).toEqual({ garbage: 3, 'label-out-of-range': 2 });
    expect(input.settings).toEqual({ ...settings, replayShare: 0.5 });
    expect(input.promotedVersion).toEqual({ id: 'v2', dir: '/models/archive/v2' });
    expect(input.challenger?.test.confusion).toEqual(confusion);
    expect(planRetrainRun(input).tags).toMatchObject({ decision: 'promoted', champion_after: 'v2' });
  });

  it('derives no batch and no registration for a skipped cycle', () => {
    const input = retrainRunInput(tooFew, {
      workflowId: 'w',
      gitCommit: 'abc',
      replayShare: 0.5,
      batches: [],
    });
    expect(input.batch).toBeUndefined();
    expect(input.promotedVersion).toBeUndefined();
    expect(planRetrainRun(input).register).toBeUndefined();
  });
});
