/** Names shared by workflows, workers and clients: one module so a rename cannot split them. */
export const TASK_QUEUES = {
  /** Data, Kafka, MLflow, PostgreSQL and model-store activities. */
  io: 'mlops-io',
  /** Training and evaluation on the CPU (tfjs-node). */
  trainingCpu: 'mlops-training-cpu',
  /** Training and evaluation on the GPU (tfjs-node-gpu). */
  trainingGpu: 'mlops-training-gpu',
} as const;

export function trainingTaskQueue(device: 'cpu' | 'gpu'): string {
  return device === 'gpu' ? TASK_QUEUES.trainingGpu : TASK_QUEUES.trainingCpu;
}
