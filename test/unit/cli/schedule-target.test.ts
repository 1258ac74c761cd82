import { parseScheduleTarget, scheduleState } from '../../../src/client/schedules';
import { every } from '../../../src/cli/format';
import type { ScheduleDescription } from '@temporalio/client';

describe('parseScheduleTarget', () => {
  it('expands all and accepts each schedule name', () => {
    expect(parseScheduleTarget('all')).toEqual(['stream', 'retrain', 'lag-trigger']);
    expect(parseScheduleTarget('retrain')).toEqual(['retrain']);
  });

  it('refuses anything else, listing what is accepted', () => {
    expect(() => parseScheduleTarget('Retrain')).toThrow(
      'unknown schedule "Retrain": expected one of stream, retrain, lag-trigger, all',
    );
  });
});

describe('scheduleState', () => {
  it('reads an absent schedule as such', () => {
    expect(scheduleState('stream', 'id', undefined)).toEqual({
      name: 'stream',
      scheduleId: 'id',
      exists: false,
    });
  });

  it('takes paused, interval, next and last run from the description', () => {
    const next = new Date('2030-01-01T01:00:00Z');
    const taken = new Date('2030-01-01T00:00:00Z');
    const d = {
      spec: { intervals: [{ every: 3_600_000, offset: 0 }] },
      state: { paused: true, note: 'maintenance' },
      info: {
        nextActionTimes: [next],
        recentActions: [{ takenAt: new Date(0) }, { takenAt: taken }],
        numActionsTaken: 7,
        numActionsSkippedOverlap: 2,
        runningActions: [],
      },
    } as unknown as ScheduleDescription;
    expect(scheduleState('retrain', 'rid', d)).toMatchObject({
      exists: true,
      paused: true,
      everyMs: 3_600_000,
      note: 'maintenance',
      nextRun: next,
      lastRun: taken,
      actionsTaken: 7,
      skippedOverlap: 2,
    });
  });
});

describe('every', () => {
  it('prints intervals in the unit they were set in', () => {
    expect(every(86_400_000)).toBe('1d');
    expect(every(7_200_000)).toBe('2h');
    expect(every(90_000)).toBe('90s');
    expect(every(600_000)).toBe('10m');
  });
});
