/**
 * The inference server under load: SIGKILLed and restarted (requests fail only while it is down), then a
 * promotion by a real retrain cycle while it serves (no request fails, and the answers switch to the new
 * champion). The server runs as its own process on the suite's model store.
 */
import { ModelStore } from '../../src/domain/registry/store';
import { isPortOpen } from '../../src/stack/ports';
import { IMAGE_BYTES } from '../../src/domain/data/types';
import { CaseFailure, expectThat, inject, retrainResult, streamWithRetrain, tookEffect } from './suite';
import type { FaultCase } from './cases';
import { waitFor } from './wait';
import { WorkerProcess } from './worker-process';

const SERVE_PORT = 8580;
const CLIENTS = 8;

interface Answer {
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  readonly version?: string;
}

/**
 * Closed-loop clients that keep every answer with its time. A load generator such as autocannon (used by
 * bench:serve) reports totals; this case must know when each request failed relative to the kill.
 */
function load(base: string) {
  const answers: Answer[] = [];
  const body = JSON.stringify({
    inputs: [{ name: 'image', datatype: 'UINT8', shape: [1, 28, 28], data: new Array(IMAGE_BYTES).fill(0) }],
  });
  let stop = false;
  const client = async () => {
    while (!stop) {
      const sentAt = Date.now();
      try {
        const r = await fetch(`${base}/v2/models/mnist-cnn/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        const json = (await r.json()) as { model_version?: string };
        answers.push({
          sentAt,
          doneAt: Date.now(),
          ok: r.ok,
          ...(json.model_version ? { version: json.model_version } : {}),
        });
      } catch {
        answers.push({ sentAt, doneAt: Date.now(), ok: false });
        await new Promise((r) => setTimeout(r, 50)); // a refused connection fails at once: do not spin
      }
    }
  };
  const running = Array.from({ length: CLIENTS }, client);
  return {
    answers,
    async stop() {
      stop = true;
      await Promise.all(running);
    },
  };
}

export const serveKill: FaultCase = {
  name: 'SIGKILL the inference server under load; then a promotion under load',
  async run(s) {
    const base = `http://127.0.0.1:${SERVE_PORT}`;
    const server = new WorkerProcess(
      'serve',
      { ...s.env.env, SERVE_PORT: String(SERVE_PORT) },
      s.env.logsDir,
    );
    await server.start();
    const traffic = load(base);
    try {
      await waitFor('answers before the kill', () => traffic.answers.filter((a) => a.ok).length >= 50, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      const pid = server.pid;
      const fault = inject(s, `SIGKILL inference server pid ${pid} under ${CLIENTS} clients`, []);
      await server.kill();
      const closed = !(await isPortOpen({ host: '127.0.0.1', port: SERVE_PORT }));
      expectThat(closed, `port ${SERVE_PORT} closed after the kill`);
      tookEffect(s, fault, `server pid ${pid} exited on SIGKILL, port ${SERVE_PORT} closed`);
      const failedDown = await waitFor(
        'requests to fail while the server is down',
        () => traffic.answers.some((a) => !a.ok && a.sentAt >= fault.at),
        { timeoutMs: 10_000, intervalMs: 50 },
      ).then(() => true);
      await server.start();
      const back = await waitFor(
        'an answer from the restarted server',
        () => traffic.answers.find((a) => a.ok && a.sentAt > fault.at),
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      fault.recoveredAt = back.doneAt;
      const before = traffic.answers.filter((a) => a.doneAt < fault.at);
      expectThat(
        before.every((a) => a.ok),
        `no request failed before the kill (${before.filter((a) => !a.ok).length} did)`,
      );
      const downMs = back.doneAt - fault.at;
      const failed = traffic.answers.filter((a) => !a.ok).length;

      // Promotion under load: a real cycle that always promotes; the server swaps to the new champion.
      const store = new ModelStore(s.cfg.paths.modelsDir);
      const championBefore = (await store.champion())?.versionId;
      const swapFrom = traffic.answers.length;
      const { retrainId } = await streamWithRetrain(s, 'serve-promote', 300, {
        promotionMinGain: -1,
        promotionTestTolerance: 1,
      });
      const r = await retrainResult(s, retrainId);
      expectThat(r.decision === 'promoted', `the cycle promoted, got ${r.decision}: ${r.reason}`);
      await waitFor(
        `answers from the new champion ${r.championAfter}`,
        () => traffic.answers.slice(swapFrom).some((a) => a.ok && a.version === r.championAfter),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      const during = traffic.answers.slice(swapFrom);
      const failedDuring = during.filter((a) => !a.ok).length;
      expectThat(
        failedDuring === 0,
        `no request failed while a promotion swapped the model (${failedDuring} did)`,
      );
      const versions = [...new Set(during.map((a) => a.version))];
      expectThat(
        versions.every((v) => v === championBefore || v === r.championAfter),
        `answers came from ${versions.join(', ')} only (${championBefore} → ${r.championAfter})`,
      );
      if (!failedDown) throw new CaseFailure('no request failed while the server was down');
      const lateFailures = traffic.answers.filter((a) => !a.ok && a.sentAt > back.doneAt).length;
      expectThat(lateFailures === 0, `no request sent after the restart failed (${lateFailures} did)`);
      return (
        `${failed} requests failed, all between the kill and the restart (down ${(downMs / 1000).toFixed(1)} s); ` +
        `promoted ${r.championAfter} under load: ${during.length} requests, 0 failed, answers switched from ${championBefore}`
      );
    } finally {
      await traffic.stop();
      await server.stop();
    }
  },
};
