/** The two servers of `npm run bench:serve`, each in a process of its own, on the same model files. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config';
import type { StoredMetadata } from '../../src/domain/registry/metadata';
import { ModelStore } from '../../src/domain/registry/store';

export interface RunningServer {
  readonly name: string;
  readonly base: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A model store of the bench's own holding the champion and one other version (the newest other one,
 * or the champion's files again under a second id when it is alone), so promotions never touch yours.
 */
export async function benchStore(
  source: ModelStore,
  dir: string,
): Promise<{ store: ModelStore; versions: [string, string] }> {
  const champion = await source.champion();
  if (!champion) {
    throw new Error(
      `No champion in ${source.modelsDir}: run \`npm run demo\` or \`npm run cli -- bootstrap\` first.`,
    );
  }
  const other = (await source.listVersions()).filter((v) => v.versionId !== champion.versionId).at(-1);
  const store = new ModelStore(dir);
  const copy = async (from: string, metadata: StoredMetadata) => {
    // storeVersion validates the metadata and drops contentSha256, which it computes again itself.
    await store.storeVersion(async (to) => {
      for (const name of await fs.readdir(from)) {
        if (name !== 'metadata.json') await fs.copyFile(path.join(from, name), path.join(to, name));
      }
    }, metadata);
  };
  await copy(champion.path, champion.metadata);
  const second = other?.versionId ?? `${champion.versionId}-bench-copy`;
  await copy(source.versionPath(other?.versionId ?? champion.versionId), {
    ...(other ?? champion.metadata),
    versionId: second,
  });
  await store.promote(champion.versionId);
  return { store, versions: [champion.versionId, second] };
}

async function waitReady(
  base: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${base}: the server exited (${child.exitCode}); see ${logFile}`);
    const ok = await fetch(`${base}/v2/models/mnist-cnn/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${base} was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
}

async function start(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  logDir: string,
): Promise<RunningServer> {
  const logFile = path.join(logDir, `${name}.log`);
  const log = await fs.open(logFile, 'w');
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', log.fd, log.fd] });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await log.close();
  };
  try {
    await waitReady(base, child, logFile, 120_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, base, logFile, stop };
}

export async function startOurs(modelsDir: string, topic: string, logDir: string): Promise<RunningServer> {
  const port = await freePort();
  return start(
    'ours',
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'src', 'serve', 'main.ts')],
    {
      ...process.env,
      MODELS_DIR: modelsDir,
      SERVE_HOST: '127.0.0.1',
      SERVE_PORT: String(port),
      KAFKA_PREDICTIONS_TOPIC: topic,
    },
    port,
    logDir,
  );
}

export async function startKserve(
  python: string,
  versionDir: string,
  logDir: string,
): Promise<RunningServer> {
  const port = await freePort();
  return start(
    'kserve',
    python,
    [
      path.join(REPO_ROOT, 'bench', 'serve', 'kserve_model.py'),
      '--version_dir',
      versionDir,
      '--http_port',
      String(port),
    ],
    { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    port,
    logDir,
  );
}
