/**
 * `npm run test:faults`: the fault-injection suite on a private stack instance (own ports and state dir),
 * with the workers as child processes. Prints each case's outcome and duration, then the summary line,
 * and exits non-zero unless every case passed with nothing lost or duplicated.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CASES } from './cases';
import { invariants, openClients, type Suite } from './suite';
import { SuiteStack } from './stack-control';
import { suiteEnv } from './suite-env';
import { seconds } from './wait';
import { WorkerProcess } from './worker-process';

interface CaseOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
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
  const only = process.argv.slice(2);
  say(`run ${env.tag}: state ${cfg.stack.stateDir}, run folder ${env.runDir}`);
  const stack = new SuiteStack(cfg, say);
  await stack.up();
  const clients = await openClients(cfg);
  const s: Suite = {
    env,
    cfg,
    stack,
    io: new WorkerProcess('io', env.env, env.logsDir),
    training: new WorkerProcess('training', env.env, env.logsDir),
    ...clients,
    extraValidIds: new Set(),
    faults: 0,
    poisonRouted: 0,
    say,
  };
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
      say(`case ${c.name}: start`);
      let ok = false;
      let detail: string;
      try {
        detail = await c.run(s);
        // Workers must be up for the next case whatever the case did to them.
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
        ok = broken.length === 0;
        if (!ok) detail = `${detail}; INVARIANTS BROKEN: ${broken.join('; ')}`;
        else detail = `${detail}; invariants hold over ${inv.samplesChecked} samples`;
      } catch (e) {
        detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      for (const w of [s.io, s.training]) if (!w.running()) await w.start().catch(() => undefined);
      outcomes.push({ name: c.name, ok, ms: Date.now() - tc, detail });
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
    });

  console.log('');
  console.log('case | result | duration | detail');
  for (const o of outcomes)
    console.log(`${o.name} | ${o.ok ? 'PASS' : 'FAIL'} | ${seconds(o.ms)} | ${o.detail}`);
  console.log(`stack logs: ${stack.logsDir}; worker logs: ${env.logsDir}`);
  console.log(`suite duration: ${seconds(Date.now() - t0)}`);
  const allPassed = outcomes.length > 0 && outcomes.every((o) => o.ok);
  console.log(
    `fault suite: ${s.faults} faults injected, ${samples} samples checked, lost ${lost}, duplicated ${duplicated}, poison ${s.poisonRouted} routed`,
  );
  return allPassed && lost === 0 && duplicated === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    console.log('fault suite: 0 faults injected, 0 samples checked, lost 0, duplicated 0, poison 0 routed');
    process.exit(1);
  },
);
