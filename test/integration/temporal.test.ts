import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { echoActivities, echoWorkflow } from '../fixtures/echo-workflow';

const cfg = loadConfig();
Runtime.install({ logger: new DefaultLogger('WARN') });

describe('Temporal dev server', () => {
  it('runs a workflow and its activity on a real worker', async () => {
    const taskQueue = `it-echo-${randomUUID()}`;
    const workerConnection = await NativeConnection.connect({ address: cfg.temporal.address });
    const connection = await Connection.connect({ address: cfg.temporal.address });
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: cfg.temporal.namespace,
        taskQueue,
        workflowsPath: require.resolve('../fixtures/echo-workflow'),
        activities: echoActivities,
      });
      const client = new Client({ connection, namespace: cfg.temporal.namespace });
      const workflowId = `it-echo-${randomUUID()}`;
      const result = await worker.runUntil(
        client.workflow.execute(echoWorkflow, { taskQueue, workflowId, args: ['temporal'] }),
      );
      expect(result).toBe('hello TEMPORAL');
      // The history is kept by the server: the run is visible after the worker is gone.
      const described = await client.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
      await workerConnection.close();
    }
  });
});
