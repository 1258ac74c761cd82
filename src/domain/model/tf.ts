import type * as tfNode from '@tensorflow/tfjs-node';

/**
 * The TensorFlow.js API the model code is written against. The caller passes the module in (normally
 * `loadTf(device)` from src/adapters/tf-backend.ts), so this code does not care whether tfjs-node,
 * tfjs-node-gpu or plain tfjs provides it.
 */
export type Tf = typeof tfNode;
export type LayersModel = tfNode.LayersModel;
export type Tensor = tfNode.Tensor;
