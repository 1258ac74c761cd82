import type { Config } from '../config';
import type { HealthCheck } from './health';
import type { ServiceName, StackPaths } from './paths';
import type { Endpoint } from './ports';

export interface StackContext {
  config: Config;
  paths: StackPaths;
  say: (message: string) => void;
}

export type Health = Awaited<ReturnType<HealthCheck>>;

/** What the orchestrator needs from each native service. */
export interface Service {
  readonly name: ServiceName;
  /** Services that must be healthy before this one starts. */
  readonly dependsOn: readonly ServiceName[];
  /** Every port the service listens on: checked before start so a stranger on it is reported. */
  readonly ports: readonly Endpoint[];
  /** What a person or client points at (UI, bootstrap server, connection string without password). */
  readonly url: string;
  readonly logFile: string;
  /** Installs or builds what the service needs; cached and idempotent. Returns true when it had work to do. */
  provision(): Promise<boolean>;
  /** Starts the server detached and returns its pid. */
  start(): Promise<number>;
  stop(pid: number): Promise<void>;
  health: HealthCheck;
  /** Brings runtime objects (roles, databases) in line with the config once the server accepts connections. */
  converge?(): Promise<void>;
  /** Marker that must appear in the command line of a live pid for it to count as ours. */
  readonly commandMarker: string;
  /** Extra lines for `status` (e.g. where the data lives). */
  notes?(): string[];
  /** Data kept outside the state dir, removed by `wipe`. */
  externalData?(): string[];
}

export function describeHealthError(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return describeHealthError(e.errors[0]);
  return e instanceof Error ? e.message || e.name : String(e);
}
