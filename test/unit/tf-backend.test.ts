import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Tensor4D } from '@tensorflow/tfjs-node';

type Adapter = typeof import('../../src/adapters/tf-backend');

// Each test gets a fresh copy of the adapter, so its once-per-process state starts empty.
function freshAdapter(): Adapter {
  let adapter: Adapter | undefined;
  jest.isolateModules(() => {
    adapter = jest.requireActual<Adapter>('../../src/adapters/tf-backend');
  });
  return adapter!;
}
const freshLoadTf = (): Adapter['loadTf'] => freshAdapter().loadTf;

describe('loadTf', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-backend-test-'));
    // Throws what tfjs-node's index.js throws when lib/napi-v8/tfjs_binding.node is absent.
    fs.writeFileSync(
      path.join(tmp, 'missing-addon.js'),
      "throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \\nPlease run command ...');",
    );
    // Loads, but reports the pure-JS backend.
    fs.writeFileSync(path.join(tmp, 'js-backend.js'), "module.exports = { getBackend: () => 'cpu' };");
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("loads tfjs-node on the native 'tensorflow' backend and runs a conv2d", () => {
    const tf = freshLoadTf()('cpu');
    expect(tf.getBackend()).toBe('tensorflow');
    const out = tf.conv2d(tf.ones([1, 4, 4, 1]) as Tensor4D, tf.ones([2, 2, 1, 1]) as Tensor4D, 1, 'valid');
    expect(out.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(out.dataSync())).toEqual(Array(9).fill(4));
  });

  it('names the module, the cause and the fix when the package cannot be found', () => {
    const adapter = freshAdapter();
    const load = () => adapter.loadTf('cpu', { moduleId: path.join(tmp, 'no-such-tfjs-node') });
    expect(load).toThrow(adapter.TensorFlowUnavailableError);
    expect(load).toThrow(/TRAINING_DEVICE=cpu: loading .*no-such-tfjs-node failed: Cannot find module/);
    expect(load).toThrow(/npm run setup.*docs\/tensorflow\.md/);
  });

  it('reports a missing native addon with the first line of the cause only', () => {
    const adapter = freshAdapter();
    const err = catchError(() => adapter.loadTf('cpu', { moduleId: path.join(tmp, 'missing-addon.js') }));
    expect(err).toBeInstanceOf(adapter.TensorFlowUnavailableError);
    expect(err.message).toContain('native addon module (tfjs_binding.node) can not be found');
    expect(err.message).not.toContain('Please run command');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('points GPU users at the --gpu provisioning', () => {
    const err = catchError(() => freshLoadTf()('gpu', { moduleId: path.join(tmp, 'missing-addon.js') }));
    expect(err.message).toMatch(/TRAINING_DEVICE=gpu.*provision-tensorflow\.sh --gpu/);
  });

  it('refuses a module that runs on the pure-JS backend', () => {
    expect(() => freshLoadTf()('cpu', { moduleId: path.join(tmp, 'js-backend.js') })).toThrow(
      /backend is 'cpu', not 'tensorflow'/,
    );
  });

  it('refuses to load a second device into the same process', () => {
    const load = freshLoadTf();
    load('cpu');
    expect(() => load('gpu')).toThrow(/TRAINING_DEVICE=cpu is already loaded.*process of its own/);
  });

  // Last: tfjs keeps one engine per process, so this switches every later tfjs user to 'cpu'.
  it('falls back to the pure-JS backend only when explicitly allowed', async () => {
    const tf = freshLoadTf()('cpu', { moduleId: path.join(tmp, 'missing-addon.js'), allowJsBackend: true });
    try {
      expect(tf.getBackend()).toBe('cpu');
      expect(Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync())).toEqual([11]);
    } finally {
      await tf.setBackend('tensorflow');
    }
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
  throw new Error('expected an error, got none');
}
