/**
 * The suite's own stack instance, driven through the orchestrator API: whole-stack up/down, one-service
 * graceful stops and starts, and crashes (SIGKILL of the service's process group). Every stop and crash
 * checks that it took effect: a service that is not running is an error, not a silent no-op.
 */
import type { Config } from '../../src/config';
import { down, livePid, up, wipe } from '../../src/stack/orchestrator';
import { stackPaths, type ServiceName } from '../../src/stack/paths';
import { formatEndpoint, isPortOpen } from '../../src/stack/ports';
import { isAlive, removeFile } from '../../src/stack/processes';
import type { Service, StackContext } from '../../src/stack/service';
import { allServices } from '../../src/stack/services';
import { waitFor } from './wait';

export class StackControlError extends Error {
  override name = 'StackControlError';
}

export class SuiteStack {
  readonly ctx: StackContext;

  constructor(cfg: Config, say: (m: string) => void) {
    this.ctx = { config: cfg, paths: stackPaths(cfg), say: (m) => say(`[stack] ${m}`) };
  }

  get logsDir(): string {
    return this.ctx.paths.logsDir;
  }

  private services() {
    return allServices(this.ctx);
  }

  private service(name: ServiceName): Service {
    return this.services().find((s) => s.name === name)!;
  }

  /** The live pid of this stack's service; throws when there is none (nothing to stop or crash). */
  pidOf(name: ServiceName): number {
    const pid = livePid(this.ctx, this.service(name));
    if (pid === undefined) {
      throw new StackControlError(`${name}: no live pid in ${this.ctx.paths.pidFile(name)}; nothing to stop`);
    }
    return pid;
  }

  /** Waits until the process is gone and none of the service's ports accepts connections. */
  private async assertDown(name: ServiceName, pid: number): Promise<string> {
    const s = this.service(name);
    await waitFor(
      `${name} (pid ${pid}) gone and its ports ${s.ports.map(formatEndpoint).join(', ')} closed`,
      async () => {
        if (isAlive(pid)) return false;
        for (const ep of s.ports) if (await isPortOpen(ep)) return false;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    return `pid ${pid} gone, ${s.ports.map(formatEndpoint).join(', ')} closed`;
  }

  async up(): Promise<void> {
    await up(this.ctx, this.services());
    // Creates this run's ledger database (the service converges roles and databases to the config).
    await this.service('postgres').converge!();
  }

  /** Graceful stop (the service's own shutdown path); returns the evidence that it is down. */
  async stop(name: ServiceName): Promise<string> {
    const pid = this.pidOf(name);
    await down(this.ctx, this.services(), name);
    return this.assertDown(name, pid);
  }

  /** Crash: SIGKILL to the whole process group, no shutdown path; returns the evidence that it is down. */
  async crash(name: ServiceName): Promise<string> {
    const pid = this.pidOf(name);
    process.kill(-pid, 'SIGKILL');
    const evidence = await this.assertDown(name, pid);
    removeFile(this.ctx.paths.pidFile(name));
    return `SIGKILL group ${pid}: ${evidence}`;
  }

  async start(name: ServiceName): Promise<void> {
    await up(this.ctx, [this.service(name)]);
  }

  /** Stops everything and deletes the instance's state (databases, topics, histories, run folders). */
  async wipe(): Promise<void> {
    await wipe(this.ctx, this.services());
  }

  /**
   * A new instance: wiped, then up. Services that came up before one failed are stopped again, so a
   * failed start leaves nothing holding the instance's ports (it once blocked a whole CI run).
   */
  async startFresh(): Promise<void> {
    await this.wipe();
    await this.up().catch(async (e: unknown) => {
      await this.downAll().catch(() => undefined);
      throw e;
    });
  }

  async downAll(): Promise<void> {
    await down(this.ctx, this.services());
  }
}
