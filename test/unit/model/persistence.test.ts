import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCnn } from '../../../src/domain/model/architecture';
import { predict } from '../../../src/domain/model/evaluate';
import { loadModel, saveModel } from '../../../src/domain/model/persistence';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from './tf';

const images = readMnist('t10k', 50).images;
let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'model-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('saveModel / loadModel', () => {
  it('round-trips in the tfjs format and predicts identically', async () => {
    const model = createCnn(tf, HYPER);
    const dir = path.join(root, 'm');
    await saveModel(tf, model, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(fs.readdirSync(root)).toEqual(['m']); // no temp folder left behind
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(1_199_882 * 4);

    const loaded = await loadModel(tf, dir);
    expect(await predict(tf, loaded, images)).toEqual(await predict(tf, model, images));
    model.dispose();
    loaded.dispose();
  });

  it('refuses to overwrite unless asked, and replaces whole when asked', async () => {
    const a = createCnn(tf, HYPER);
    const b = createCnn(tf, { ...HYPER, seed: 99 });
    const dir = path.join(root, 'm');
    await saveModel(tf, a, dir);
    await expect(saveModel(tf, b, dir)).rejects.toThrow(/already exists/);
    await saveModel(tf, b, dir, { overwrite: true });
    const loaded = await loadModel(tf, dir);
    expect(await predict(tf, loaded, images)).toEqual(await predict(tf, b, images));
    expect(fs.readdirSync(root)).toEqual(['m']);
    [a, b, loaded].forEach((m) => m.dispose());
  });

  it('says where the model is missing', async () => {
    await expect(loadModel(tf, path.join(root, 'nothing'))).rejects.toThrow(
      /No model at .*model\.json is missing/,
    );
  });
});
