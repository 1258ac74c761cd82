/** The suite's own stack instance, driven through the orchestrator API: whole-stack up/down and one-service restarts. */
import type { Config } from '../../src/config';
import { down, up } from '../../src/stack/orchestrator';
import { stackPaths, type ServiceName } from '../../src/stack/paths';
import type { StackContext } from '../../src/stack/service';
import { allServices } from '../../src/stack/services';

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

  async up(): Promise<void> {
    await up(this.ctx, this.services());
    // Creates this run's ledger database (the service converges roles and databases to the config).
    await this.services().find((s) => s.name === 'postgres')!.converge!();
  }

  async stop(service: ServiceName): Promise<void> {
    await down(this.ctx, this.services(), service);
  }

  async start(service: ServiceName): Promise<void> {
    await up(
      this.ctx,
      this.services().filter((s) => s.name === service),
    );
  }

  async restart(service: ServiceName): Promise<void> {
    await this.stop(service);
    await this.start(service);
  }

  async downAll(): Promise<void> {
    await down(this.ctx, this.services());
  }
}
