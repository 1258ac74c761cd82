import { PassThrough } from 'node:stream';
import { progressView } from '../../../src/cli/progress-view';
import type { WorkflowProgress } from '../../../src/shared';

function capture() {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = '';
  (stream as unknown as PassThrough).on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

const training = (epoch: number, batch: number): WorkflowProgress => ({
  workflow: 'bootstrap',
  stage: 'training',
  counts: { trainSamples: 100 },
  training: { epoch, epochs: 2, batch, batches: 10, loss: 0.5, resumedFromEpoch: 0 },
});

describe('progressView off a terminal', () => {
  it('writes one plain line per stage and per epoch, no bar redraws', () => {
    const out = capture();
    const view = progressView('bootstrap', out.stream);
    view.update({ workflow: 'bootstrap', stage: 'preparing data', counts: {} });
    view.update({ workflow: 'bootstrap', stage: 'preparing data', counts: {} });
    view.update(training(0, 0));
    view.update(training(0, 5));
    view.update(training(1, 0));
    view.stop();
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      '[bootstrap] preparing data',
      '[bootstrap] training epoch 1/2 batch 1/10 loss 0.5000 (trainSamples=100)',
      '[bootstrap] training epoch 2/2 batch 1/10 loss 0.5000 (trainSamples=100)',
    ]);
    expect(out.text()).not.toContain('\r');
  });
});
