import path from 'node:path';
import type { Config } from '../config';

export type ServiceName = 'postgres' | 'kafka' | 'temporal' | 'mlflow';
export const SERVICE_NAMES: readonly ServiceName[] = ['postgres', 'kafka', 'temporal', 'mlflow'];

/** Where the stack keeps runtime state (per clone) and downloads (shared by clones). */
export interface StackPaths {
  stateDir: string;
  cacheDir: string;
  logsDir: string;
  logFile(service: ServiceName): string;
  pidFile(service: ServiceName): string;
  serviceDir(service: ServiceName): string;
}

export function stackPaths(config: Config): StackPaths {
  const { stateDir, cacheDir } = config.stack;
  const logsDir = path.join(stateDir, 'logs');
  return {
    stateDir,
    cacheDir,
    logsDir,
    logFile: (s) => path.join(logsDir, `${s}.log`),
    pidFile: (s) => path.join(stateDir, 'pids', `${s}.pid`),
    serviceDir: (s) => path.join(stateDir, s),
  };
}
