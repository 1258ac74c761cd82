/**
 * `npm run test:scale`: the pipeline spread over hosts that share no disk. One stack (its own ports and
 * state folder), a samples topic with 3 partitions, 2 IO workers, 2 training workers and the inference
 * server, each a process with its own DATA_DIR and MODELS_DIR (FILE_EXCHANGE=mlflow). It bootstraps,
 * runs stream + retrain cycles, SIGKILLs the training worker that runs a fine-tune after its first
 * checkpoint (the other one must resume from it), then runs the fault suite's invariants checker and
 * requires every host's champion view to converge to the shared champion and MLflow's alias.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { mlflowSharedStore } from '../../src/adapters/mlflow/shared-store';
import type { StagedModel } from '../../src/activities/contracts';
import { loadConfig } from '../../src/config';
import { storeExchange } from '../../src/domain/exchange/exchange';
import { ModelStore } from '../../src/domain/registry/store';
import type { RetrainInput } from '../../src/shared';
import { checkInvariants } from '../faults/invariants';
import { SuiteStack } from '../faults/stack-control';
import { createSuite, retrainResult, streamWithRetrain, waitForStage, type Suite } from '../faults/suite';
import { SCALE, suiteEnv } from '../faults/suite-env';
import { seconds, waitFor } from '../faults/wait';
import { WorkerProcess, type WorkerName } from '../faults/worker-process';

const PARTITIONS = 3;
const CYCLES = 3;
/** The cycle whose fine-tune loses its training worker. */
const KILL_CYCLE = 2;
const SERVE_PORT = '8180';

const say = (m: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Host {
  readonly name: string;
  readonly process: WorkerProcess;
  readonly dataDir: string;
  readonly modelsDir: string;
}

function host(s: Suite, name: string, kind: WorkerName): Host {
  const root = path.join(s.env.runDir, 'hosts', name);
  const dataDir = path.join(root, 'data');
  const modelsDir = path.join(root, 'models');
  const env = { ...s.env.env, DATA_DIR: dataDir, MODELS_DIR: modelsDir, SERVE_PORT };
  return { name, process: new WorkerProcess(kind, env, s.env.logsDir, name), dataDir, modelsDir };
}

/** No two hosts may share a path: neither the same folder nor one inside another. */
function assertNothingShared(hosts: readonly Host[]): void {
  const roots = hosts.flatMap((h) => [h.dataDir, h.modelsDir].map((p) => ({ host: h.name, p })));
  for (const a of roots) {
    for (const b of roots) {
      if (a === b) continue;
      if (a.p === b.p || a.p.startsWith(`${b.p}${path.sep}`)) {
        throw new Error(`hosts ${a.host} and ${b.host} share ${a.p} and ${b.p}`);
      }
    }
  }
}

/** The worker process whose pid is in the Temporal worker identity (`<pid>@<host>`). */
function byIdentity(hosts: readonly Host[], identity: string | undefined): Host | undefined {
  const pid = Number(identity?.split('@')[0]);
  return hosts.find((h) => h.process.pid === pid);
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const env = suiteEnv(SCALE, {
    FILE_EXCHANGE: 'mlflow',
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
  });
  const stack = new SuiteStack(env.cfg, say);
  await stack.startFresh();
  await fs.mkdir(env.logsDir, { recursive: true });
  const s = await createSuite(env, stack, say);
  const ios = [host(s, 'io-a', 'io'), host(s, 'io-b', 'io')];
  const trainers = [host(s, 'training-a', 'training'), host(s, 'training-b', 'training')];
  const server = host(s, 'serve', 'serve');
  const hosts = [...ios, ...trainers, server];
  assertNothingShared(hosts);
  const workers = [...ios, ...trainers];
  const shared = storeExchange(
    mlflowSharedStore(env.cfg.mlflow, `pipeline/${env.cfg.mlflow.registeredModel}`),
    path.join(env.runDir, 'hosts', 'checker', 'data'),
  );
  let killed: string | undefined;
  let killedAt = 0;
  try {
    await Promise.all(workers.map((h) => h.process.start()));
    say(`${workers.length} workers up, each on its own root under ${path.join(env.runDir, 'hosts')}`);
    const boot = (await s.pipeline
      .handle((await s.pipeline.start('bootstrapWorkflow', `bootstrap-${env.tag}`, [{}])).workflowId)
      .result()) as { status: string; championVersionId: string };
    say(`bootstrap: ${boot.status} ${boot.championVersionId}`);
    await server.process.start();

    const decisions: string[] = [];
    for (let c = 1; c <= CYCLES; c++) {
      const tc = Date.now();
      const retrain: RetrainInput = c === KILL_CYCLE ? { fineTuneEpochs: 3 } : {};
      const { retrainId } = await streamWithRetrain(s, `cycle-${c}`, 900, retrain);
      if (c === KILL_CYCLE) {
        killed = await killMidFineTune(s, trainers, shared, retrainId);
        killedAt = Date.now();
      }
      const r = await retrainResult(s, retrainId);
      if (r.decision !== 'promoted' && r.decision !== 'rejected') {
        throw new Error(`cycle ${c} ended ${r.decision}: ${r.reason}`);
      }
      s.trained.set(retrainId, r.batchIds ?? []);
      decisions.push(r.decision);
      say(`cycle ${c}: ${r.decision} on ${r.batchIds?.length} batches in ${seconds(Date.now() - tc)}`);
      if (c === KILL_CYCLE) {
        const fine = (await s.pipeline.activities(retrainId)).find((a) => a.type === 'fineTuneChallenger');
        const staged = fine?.result as StagedModel | undefined;
        if ((fine?.attempts ?? 0) < 2 || (staged?.resumedFromEpoch ?? 0) < 1) {
          throw new Error(
            `the fine-tune was not resumed from the shared checkpoint (attempts ${fine?.attempts}, resumed from epoch ${staged?.resumedFromEpoch})`,
          );
        }
        // History keeps the attempt that completed, with the identity of the worker that ran it.
        const history = await s.pipeline.handle(retrainId).fetchHistory();
        const started = (history.events ?? [])
          .map((e) => e.activityTaskStartedEventAttributes)
          .filter((a) => a?.attempt && a.attempt >= 2);
        const finisher = started
          .map((a) => byIdentity(trainers, a?.identity ?? undefined))
          .find((h) => h !== undefined);
        if (!finisher || finisher.name === killed) {
          throw new Error(
            `the resumed fine-tune ran on ${finisher?.name ?? 'no known worker'}, not on the surviving one`,
          );
        }
        // Injection to the resumed fine-tune's completion, as the fault suite times its cases.
        const recovery = await s.pipeline.recoveryMs([retrainId], killedAt, 'fineTuneChallenger');
        killed = `${killed} SIGKILLed after the first checkpoint; ${finisher.name} resumed from epoch ${staged?.resumedFromEpoch} (attempt ${fine?.attempts}); recovery ${recovery === undefined ? 'n/a' : seconds(recovery)}`;
        say(`  ${killed}`);
      }
    }
    if (!decisions.includes('promoted')) throw new Error(`no cycle promoted (${decisions.join(', ')})`);

    // Every host's champion view converges to the shared champion, which is MLflow's alias.
    const champion = await shared.sharedChampion();
    const alias = await s.mlflow.registry.getModelVersionByAlias(env.cfg.mlflow.registeredModel, 'champion');
    const aliasVersion = alias?.tags?.find((t) => t.key === 'model_version_id')?.value;
    if (!champion || aliasVersion !== champion) {
      throw new Error(
        `shared champion ${champion}, MLflow's champion alias ${aliasVersion}: they must agree`,
      );
    }
    const views = [...ios, server];
    await waitFor(
      `every host's current_model to be ${champion}`,
      async () => {
        for (const h of views)
          if ((await new ModelStore(h.modelsDir).champion())?.versionId !== champion) return false;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const served = await waitFor(
      `the inference server to serve ${champion}`,
      async () => {
        const r = await fetch(`http://127.0.0.1:${SERVE_PORT}/v2/models/mnist-cnn`);
        const body = (await r.json()) as { versions?: string[] };
        return body.versions?.includes(champion ?? '') ? body.versions : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    say(
      `champion ${champion}: current_model of ${views.map((h) => h.name).join(', ')}; served (${served.join(',')})`,
    );

    const checkerCfg = loadConfig({ ...env.env, DATA_DIR: ios[0]!.dataDir, MODELS_DIR: ios[0]!.modelsDir });
    const inv = await checkInvariants(
      { cfg: checkerCfg, ledger: s.ledger, kafka: s.kafka, mlflow: s.mlflow },
      { requests: s.requests, trained: s.trained },
    );
    for (const p of inv.problems) say(`INVARIANT BROKEN: ${p}`);
    const ok =
      inv.problems.length === 0 &&
      inv.lost.length === 0 &&
      inv.duplicated.length === 0 &&
      inv.samplesChecked === s.requests.requestedCount;
    say(
      `killed: ${killed}; ${inv.batchesTrainedChecked} batches' training evidence checked; ${seconds(Date.now() - t0)} in all`,
    );
    console.log(
      `scale: ${PARTITIONS} partitions, ${ios.length} io workers, ${trainers.length} training workers, ${hosts.length} hosts, ` +
        `${CYCLES} cycles, lost ${inv.lost.length}, duplicated ${inv.duplicated.length}`,
    );
    return ok ? 0 : 1;
  } finally {
    await Promise.allSettled(hosts.map((h) => h.process.stop()));
    await Promise.allSettled([s.pipeline.close(), s.ledger.close()]);
    await stack.downAll().catch((e: Error) => say(`stack down failed: ${e.message}`));
  }
}

/**
 * Once the fine-tune's first checkpoint is in the shared store, SIGKILLs the training worker running it
 * and leaves it down: the other training worker must take the retry and resume from that checkpoint.
 */
async function killMidFineTune(
  s: Suite,
  trainers: readonly Host[],
  shared: ReturnType<typeof storeExchange>,
  retrainId: string,
): Promise<string> {
  await waitForStage(s, retrainId, 'fine-tuning', (p) => p.stage === 'fine-tuning challenger');
  const { runId } = await s.pipeline.handle(retrainId).describe();
  const checkpoints = `runs/${retrainId}-${runId}/checkpoints/fineTuneChallenger`;
  await waitFor(
    'the first fine-tuning checkpoint in the shared store',
    async () => (await shared.publishedEpochs(checkpoints)).includes(1),
    { timeoutMs: 300_000, intervalMs: 200 },
  );
  const d = await s.pipeline.handle(retrainId).describe();
  const running = (d.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'fineTuneChallenger');
  const victim = byIdentity(trainers, running?.lastWorkerIdentity ?? undefined);
  if (!victim) {
    throw new Error(`no training worker matches identity ${running?.lastWorkerIdentity} of the fine-tune`);
  }
  const pid = victim.process.pid;
  await victim.process.kill();
  say(`SIGKILL ${victim.name} (pid ${pid}) after the first checkpoint; it stays down`);
  return victim.name;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    console.log(`scale: aborted (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    process.exit(1);
  },
);
