/**
 * Chooses the fine-tuning settings on the VALIDATION split only (the test split is never scored here):
 * one bootstrap champion at the default settings, then the stream split in cycles of `--batch`, each cycle
 * fine-tuned by the production fineTune() with a replay pool of train + every earlier batch, for each
 * candidate setting. Prints one JSON line per (candidate, cycle) and a summary per candidate.
 *   npx tsx bench/continual/sweep.ts [--batch 2000] [--cycles 10] [--candidates lr:epochs:share,...]
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { loadTf } from '../../src/adapters/tf-backend';
import { concatSets, prepareSplits } from '../../src/domain/data';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate } from '../../src/domain/model/evaluate';
import { fineTune } from '../../src/domain/model/fine-tune';
import { hyperparametersFromConfig } from '../../src/domain/model/hyperparameters';
import { loadModel, saveModel } from '../../src/domain/model/persistence';
import { deriveSeed } from '../../src/domain/model/seeded-random';
import { train } from '../../src/domain/model/train';
import { IMAGE_BYTES, type MnistSet } from '../../src/domain/data/types';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '2000' },
    cycles: { type: 'string', default: '10' },
    candidates: { type: 'string', default: '0.001:2:0.5,0.0003:3:0.5,0.0001:3:0.5' },
  },
});

const slice = (s: MnistSet, from: number, to: number): MnistSet => ({
  images: s.images.slice(from * IMAGE_BYTES, to * IMAGE_BYTES),
  labels: s.labels.slice(from, to),
  count: to - from,
});

async function main() {
  const cfg = loadConfig();
  const tf = loadTf('cpu');
  const splits = await prepareSplits(cfg);
  const hyper = hyperparametersFromConfig(cfg.training);
  const cacheDir = path.join(REPO_ROOT, '.bench-cache', `bootstrap-s${hyper.seed}-e${hyper.epochs}`);
  let t0 = Date.now();
  if (!(await fs.stat(path.join(cacheDir, 'model.json')).catch(() => null))) {
    const m = createCnn(tf, hyper);
    await train(tf, m, splits.train, { hyper });
    await saveModel(tf, m, cacheDir, { overwrite: true });
    m.dispose();
  }
  const boot = await loadModel(tf, cacheDir);
  const bootEval = await evaluate(tf, boot, splits.validation);
  const bootVal = bootEval.accuracy;
  boot.dispose();
  console.log(
    JSON.stringify({
      bootstrap: {
        validationAccuracy: bootVal,
        validationLoss: bootEval.loss,
        seconds: (Date.now() - t0) / 1000,
      },
    }),
  );

  const batch = Number(args.batch);
  const cycles = Number(args.cycles);
  const work = path.join(REPO_ROOT, '.bench-cache', 'sweep');
  for (const c of args.candidates!.split(',')) {
    // lr:epochs:share[:policy:minGain]; policy "champion" fine-tunes from the champion every cycle,
    // "lineage" from the last challenger when it is not worse than the champion on validation.
    const [lrS, epS, shS, policy = 'none', gainS = '-1'] = c.split(':');
    const [lr, epochs, share, minGain] = [Number(lrS), Number(epS), Number(shS), Number(gainS)];
    t0 = Date.now();
    const pool: MnistSet[] = [splits.train];
    let images = 0;
    const curve: number[] = [];
    // Validation loss: far less noisy than accuracy at 99 %, so it separates candidates accuracy cannot.
    const losses: number[] = [];
    let championDir = cacheDir;
    let championVal = bootVal;
    let startDir = cacheDir;
    let promoted = 0;
    for (let k = 0; k < cycles; k++) {
      const model = await loadModel(tf, startDir);
      const start = policy === 'avg' ? model.getWeights().map((w) => w.clone()) : [];
      const fresh = slice(splits.stream, k * batch, (k + 1) * batch);
      const r = await fineTune(tf, model, fresh, concatSets(pool), {
        hyper: { ...hyper, learningRate: lr, epochs, seed: deriveSeed(hyper.seed, 1000 + k) },
        replayShare: share,
      });
      images += (r.mix.newCount + r.mix.replayCount) * epochs;
      pool.push(fresh);
      if (policy === 'avg') {
        // Challenger = mean of the weights it started from and the fine-tuned ones.
        const tuned = model.getWeights();
        model.setWeights(tuned.map((w, i) => tf.tidy(() => w.add(start[i]!).div(2))));
        start.forEach((w) => w.dispose());
      }
      const ev = await evaluate(tf, model, splits.validation);
      const va = ev.accuracy;
      losses.push(ev.loss);
      const dir = path.join(work, `${c.replace(/:/g, '_')}-${k}`);
      await saveModel(tf, model, dir, { overwrite: true });
      model.dispose();
      const promote = va - championVal >= minGain - 1e-9;
      if (promote) {
        championDir = dir;
        championVal = va;
        promoted++;
      }
      startDir = promote || (policy === 'lineage' && va >= championVal) ? dir : championDir;
      curve.push(championVal);
      console.log(
        JSON.stringify({
          candidate: c,
          cycle: k + 1,
          challengerValidation: va,
          championValidation: championVal,
          promote,
          trainImages: images,
        }),
      );
    }
    console.log(
      JSON.stringify({
        summary: c,
        final: curve.at(-1),
        mean: curve.reduce((a, b) => a + b) / curve.length,
        promoted,
        meanLoss: losses.reduce((a, b) => a + b) / losses.length,
        finalLoss: losses.at(-1),
        trainImages: images,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
