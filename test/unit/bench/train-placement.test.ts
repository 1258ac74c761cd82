import { parsePlacementLine, PlacementLog } from '../../../bench/train/placement';
import { spreadOf } from '../../../bench/train/stats';

// Lines as TensorFlow 2.15 writes them with TF_CPP_VMODULE=execute=1,placer=1 (tfjs-node, then Keras's fit).
const CPU = '/job:localhost/replica:0/task:0/device:CPU:0';
const GPU = '/job:localhost/replica:0/task:0/device:GPU:0';
const eager = (op: string, device: string) =>
  `2026-12-02 08:34:06.334057: I tensorflow/core/common_runtime/eager/execute.cc:1750] Executing op ${op} in device ${device}`;
const graph = (name: string, op: string, device: string) =>
  `2026-12-02 08:34:56.717925: I tensorflow/core/common_runtime/placer.cc:135] ${name}(${op}) placed on: ${device}`;

describe('parsePlacementLine', () => {
  it('reads eager and graph placement lines, undoing the oneDNN rewrite names', () => {
    expect(parsePlacementLine(eager('_MklNativeConv2D', CPU))).toEqual({ op: 'Conv2D', device: 'CPU:0' });
    expect(parsePlacementLine(graph('sequential/dense/MatMul', 'MatMul', GPU))).toEqual({
      op: 'MatMul',
      device: 'GPU:0',
    });
  });

  it('ignores every other line', () => {
    expect(parsePlacementLine(`I execute.cc:1260] ReadVariableOp:input:0 ${CPU}`)).toBeUndefined();
    expect(parsePlacementLine('tfjs  epoch 1/1: loss 2.1809, 1.2 s')).toBeUndefined();
  });
});

describe('PlacementLog', () => {
  const heavy = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MatMul'];

  it('counts op types per device and accepts a run whose heavy kernels are all on the GPU', () => {
    const log = new PlacementLog();
    for (const op of heavy) log.take(eager(op, GPU));
    log.take(eager('Conv2D', GPU)); // the same kernel again: one op type
    log.take(eager('GatherV2', CPU));
    expect(log.take('unrelated')).toBe(false);
    expect(log.summary()).toEqual({ 'GPU:0': 4, 'CPU:0': 1 });
    expect(log.offDevice('GPU')).toEqual([]);
  });

  it('names heavy kernels that ran elsewhere and those never logged', () => {
    const log = new PlacementLog();
    log.take(eager('Conv2D', GPU));
    log.take(eager('_MklMatMul', CPU));
    expect(log.offDevice('GPU')).toEqual([
      'Conv2DBackpropFilter (not logged)',
      'Conv2DBackpropInput (not logged)',
      'MatMul on CPU:0',
    ]);
  });
});

describe('spreadOf', () => {
  it('gives the median (middle or mean of the middle two) and the range', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('refuses an empty list', () => {
    expect(() => spreadOf([])).toThrow(/no values/);
  });
});
