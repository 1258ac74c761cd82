/**
 * `npm run test:faults`: the fault-injection suite on a private stack instance (own ports and state dir),
 * with the workers as child processes. Prints each case's outcome and duration, then the summary line,
 * and exits non-zero unless every case passed with nothing lost or duplicated.
 */
import { promises as fs, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CASES } from './cases';
import { createSuite, invariants } from './suite';
import { SuiteStack } from './stack-control';
import { suiteEnv } from './suite-env';
import { seconds } from './wait';

interface CaseOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
  /** Per injection: `#n <recovery>` (injection to the pipeline's next successful step). */
  readonly recovery: string;
}

/** Why the suite could not finish, for the summary line. */
class Aborted extends Error {
  override name = 'Aborted';
}

const say = (m: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Secrets must never reach a log: scans every log of the run for the configured passwords. */
async function secretsInLogs(dirs: string[], secrets: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const dir of dirs) {
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const text = await fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
      for (const secret of secrets) if (text.includes(secret)) hits.push(path.join(dir, name));
    }
  }
  return hits;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const env = suiteEnv();
  const { cfg } = env;
  const only = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
  const unknown = only.filter((n) => Number(n) < 1 || Number(n) > CASES.length);
  if (unknown.length) throw new Aborted(`no case ${unknown.join(', ')}: cases are 1..${CASES.length}`);
  const stack = new SuiteStack(cfg, say);
  say(`run ${env.tag}: state ${cfg.stack.stateDir} (wiped), run folder ${env.runDir}`);
  // A fresh instance every run: earlier runs' databases, topics, histories and folders would pile up.
  await stack.startFresh().catch((e: Error) => {
    throw new Aborted(`stack up failed: ${e.message.split('\n')[0]}`);
  });
  mkdirSync(env.logsDir, { recursive: true });
  const s = await createSuite(env, stack, say);
  // The workers are detached (so a case can kill their group): on Ctrl-C they must not outlive the suite.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(
        `${signal}: killing the workers; the stack stays up (npm run stack with STACK_STATE_DIR=.stack-faults)`,
      );
      void Promise.allSettled([s.io.kill(), s.training.kill()]).then(() => process.exit(130));
    });
  }
  const outcomes: CaseOutcome[] = [];
  let samples = 0;
  let lost = 0;
  let duplicated = 0;
  try {
    const left = await s.pipeline.terminateLeftovers();
    if (left) say(`terminated ${left} workflows left open by an earlier run`);
    await Promise.all([s.io.start(), s.training.start()]);
    const tb = Date.now();
    const boot = (await s.pipeline
      .handle((await s.pipeline.start('bootstrapWorkflow', `bootstrap-${env.tag}`, [{}])).workflowId)
      .result()) as { status: string; championVersionId: string };
    say(`bootstrap: ${boot.status} ${boot.championVersionId} in ${seconds(Date.now() - tb)}`);

    for (const c of CASES.filter((c, i) => !only.length || only.includes(String(i + 1)))) {
      const tc = Date.now();
      s.injections = [];
      say(`case ${c.name}: start`);
      let ok = false;
      let detail: string;
      let ran = false;
      try {
        detail = await c.run(s);
        ran = true;
      } catch (e) {
        detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      // Services and workers must be up for the next case (and the checker) whatever the case did to them.
      await stack.up().catch((e: Error) => say(`stack up after the case failed: ${e.message}`));
      for (const w of [s.io, s.training]) if (!w.running()) await w.start().catch(() => undefined);
      try {
        const inv = await invariants(s);
        samples = inv.samplesChecked;
        lost = inv.lost.length;
        duplicated = inv.duplicated.length;
        const broken = [
          ...inv.problems,
          ...(inv.lost.length ? [`lost ${inv.lost.length}: ${inv.lost.slice(0, 3).join(', ')}`] : []),
          ...(inv.duplicated.length
            ? [`duplicated ${inv.duplicated.length}: ${inv.duplicated.slice(0, 3).join(', ')}`]
            : []),
        ];
        ok = ran && broken.length === 0;
        if (broken.length) detail = `${detail}; INVARIANTS BROKEN: ${broken.join('; ')}`;
        else
          detail = `${detail}; invariants hold over ${inv.samplesChecked} samples, training evidence of ${inv.batchesTrainedChecked} batches`;
      } catch (e) {
        detail = `${detail}; invariants check failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      const recovery: string[] = [];
      for (const i of s.injections) {
        const r =
          i.recoveredAt !== undefined
            ? i.recoveredAt - i.at
            : await s.pipeline.recoveryMs(i.workflows, i.at, i.noticedBy).catch(() => undefined);
        recovery.push(
          `#${i.n} ${r === undefined ? 'n/a' : seconds(r)}${i.noticedBy ? ` (${i.noticedBy})` : ''}`,
        );
        if (!i.effect) {
          ok = false;
          detail = `${detail}; fault ${i.n} has no evidence that it took effect`;
        }
      }
      outcomes.push({ name: c.name, ok, ms: Date.now() - tc, detail, recovery: recovery.join(', ') });
      say(`case ${c.name}: ${ok ? 'PASS' : 'FAIL'} in ${seconds(Date.now() - tc)} — ${detail}`);
    }
  } finally {
    await Promise.allSettled([s.io.stop(), s.training.stop()]);
    await Promise.allSettled([s.pipeline.close(), s.ledger.close()]);
    await stack.downAll().catch((e: Error) => say(`stack down failed: ${e.message}`));
  }

  const secrets = [cfg.postgres.password, ...(cfg.mlflow.password ? [cfg.mlflow.password] : [])];
  const leaks = await secretsInLogs([stack.logsDir, env.logsDir], secrets);
  if (leaks.length)
    outcomes.push({
      name: 'no secrets in logs',
      ok: false,
      ms: 0,
      detail: `password found in ${leaks.join(', ')}`,
      recovery: '',
    });

  console.log('');
  console.log('case | result | duration | recovery (fault: injection → next successful step) | detail');
  for (const o of outcomes)
    console.log(`${o.name} | ${o.ok ? 'PASS' : 'FAIL'} | ${seconds(o.ms)} | ${o.recovery} | ${o.detail}`);
  console.log(`stack logs: ${stack.logsDir}; worker logs: ${env.logsDir}`);
  console.log(`suite duration: ${seconds(Date.now() - t0)}`);
  const allPassed = outcomes.length > 0 && outcomes.every((o) => o.ok);
  // S must be the suite's own count: every sample it asked for was checked, no more, no fewer.
  if (samples !== s.requests.requestedCount) {
    console.log(
      `fault suite: aborted (checked ${samples} samples, but the suite asked for ${s.requests.requestedCount})`,
    );
    return 1;
  }
  console.log(
    `fault suite: ${s.faults} faults injected, ${samples} samples checked, lost ${lost}, duplicated ${duplicated}, poison ${s.poisonRouted} routed`,
  );
  return allPassed && lost === 0 && duplicated === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    const cause = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    console.log(`fault suite: aborted (${cause})`);
    process.exit(1);
  },
);
