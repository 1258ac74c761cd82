/** Entry point of the dropout-mask worker thread (mask-prefetch.ts). */
import { workerData, type MessagePort } from 'node:worker_threads';
import { serveMasks } from './mask-prefetch';

const { port, posted } = workerData as { port: MessagePort; posted: Int32Array };
serveMasks(port, posted);
