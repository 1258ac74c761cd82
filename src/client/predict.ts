/** Classify one digit with the champion from the local model store. */
import type { Config } from '../config';
import { loadTf } from '../adapters/tf-backend';
import { predict } from '../domain/model/evaluate';
import { ModelStore } from '../domain/registry/store';
import type { DigitImage } from './digit-image';
import { notReady } from './errors';

export interface DigitPrediction {
  readonly digit: number;
  readonly probabilities: readonly number[];
  readonly championVersionId: string;
}

export async function predictDigit(cfg: Config, image: DigitImage): Promise<DigitPrediction> {
  const store = new ModelStore(cfg.paths.modelsDir);
  // Checked before loading TensorFlow: a missing champion should not wait for the native library.
  if (!(await store.champion())) {
    throw notReady(`no champion in ${cfg.paths.modelsDir} yet: run \`bootstrap\` first`);
  }
  const tf = loadTf(cfg.training.device);
  const loaded = await store.loadChampion(tf);
  if (!loaded) throw notReady(`no champion in ${cfg.paths.modelsDir} yet: run \`bootstrap\` first`);
  try {
    const [p] = await predict(tf, loaded.model, image.pixels);
    if (!p) throw new Error('the model returned no prediction');
    return { digit: p.digit, probabilities: p.probabilities, championVersionId: loaded.champion.versionId };
  } finally {
    loaded.model.dispose();
  }
}
