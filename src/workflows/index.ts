/** Every workflow the workers register (workflowsPath points here). Deterministic code only. */
export { bootstrapWorkflow } from './bootstrap';
export { retrainWorkflow } from './retrain';
export { retrainTriggerWorkflow } from './retrain-trigger';
export { streamNewDataWorkflow } from './stream-new-data';
export { lagCheckWorkflow } from './lag-check';
