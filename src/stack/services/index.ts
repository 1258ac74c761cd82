import type { Service, StackContext } from '../service';
import { kafkaService } from './kafka';
import { mlflowService } from './mlflow';
import { postgresService } from './postgres';
import { temporalService } from './temporal';

/** The native stack, in start order of precedence (dependencies are declared on each service). */
export function allServices(ctx: StackContext): Service[] {
  return [postgresService(ctx), kafkaService(ctx), temporalService(ctx), mlflowService(ctx)];
}
