/**
 * Wall and CPU time of each stage of taking a batch, for benchmarks and logs. CPU time is the whole
 * process's (process.cpuUsage): the stages run one after another, so nothing else is counted in.
 */
export const TAKE_STAGES = ['prepare', 'consume', 'validate', 'snapshot', 'dead-letter', 'ledger'] as const;
export type TakeStage = (typeof TAKE_STAGES)[number];

export interface StageTime {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export type StageObserver = (stage: TakeStage, time: StageTime) => void;

/** Runs fn and reports its time to the observer; without one it just runs fn. */
export function stageClock(observer: StageObserver | undefined) {
  return async <T>(stage: TakeStage, fn: () => Promise<T>): Promise<T> => {
    if (!observer) return fn();
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    try {
      return await fn();
    } finally {
      const cpu = process.cpuUsage(cpu0);
      observer(stage, { wallMs: performance.now() - wall0, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  };
}
