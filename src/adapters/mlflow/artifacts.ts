/**
 * Run artifacts through the tracking server's artifact proxy (`mlflow server --serve-artifacts`), so the
 * workers need no access to the artifact store itself: PUT/GET /api/2.0/mlflow-artifacts/artifacts/<path>.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MlflowInputError } from '../../domain/tracking/tracker';
import type { MlflowHttp } from './http';
import type { FileInfo } from '../../domain/tracking/tracker';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * The proxy-relative root of a run's artifact URI, e.g. "1/<run id>/artifacts" for
 * mlflow-artifacts:/1/<run id>/artifacts (also accepts the mlflow-artifacts://host:port/... and
 * http(s)://.../api/2.0/mlflow-artifacts/artifacts/... forms).
 */
export function proxyRoot(artifactUri: string): string {
  let rest: string | undefined;
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (m) rest = m[1];
  else if (/^https?:\/\//.test(artifactUri)) {
    const at = artifactUri.indexOf(`${PROXY}/`);
    if (at >= 0) rest = artifactUri.slice(at + PROXY.length + 1);
  }
  if (rest === undefined || rest.replace(/\/+$/, '') === '') {
    throw new MlflowInputError(
      `artifact URI ${JSON.stringify(artifactUri)} is not served by the MLflow tracking server; ` +
        'start it with --serve-artifacts (`npm run stack -- up` does) and create a new run',
    );
  }
  return checkedPath(rest.replace(/\/+$/, ''), 'artifact URI');
}

/** A relative artifact path with no way out of the run's root. */
function checkedPath(p: string, what = 'artifact path'): string {
  const parts = p.split('/');
  if (
    p.startsWith('/') ||
    p.includes('\\') ||
    p.includes('\0') ||
    parts.some((s) => s === '..' || s === '.')
  ) {
    throw new MlflowInputError(
      `${what} ${JSON.stringify(p)} must be relative and use / without . or .. segments, e.g. "model/model.json"`,
    );
  }
  return parts.filter((s) => s !== '').join('/');
}

function join(...parts: string[]): string {
  return parts.filter((s) => s !== '').join('/');
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export class MlflowArtifacts {
  constructor(private readonly http: MlflowHttp) {}

  async upload(artifactUri: string, artifactPath: string, bytes: Uint8Array): Promise<void> {
    const rel = checkedPath(artifactPath);
    if (rel === '')
      throw new MlflowInputError('artifact path of an upload must name a file, e.g. "model.json"');
    await this.http.json('PUT', `${PROXY}/${encodePath(join(proxyRoot(artifactUri), rel))}`, { bytes });
  }

  /** Uploads one local file; the artifact path defaults to its base name. */
  async uploadFile(artifactUri: string, localFile: string, artifactPath?: string): Promise<void> {
    const bytes = await fs.readFile(localFile);
    await this.upload(artifactUri, artifactPath ?? path.basename(localFile), bytes);
  }

  /**
   * Uploads every file below `localDir` (e.g. a tfjs model folder: model.json + weight shards) under
   * `artifactPath`, keeping the relative layout. Sequential on purpose: model folders have few files and
   * the tracking server shares the machine with training.
   */
  async uploadDirectory(
    artifactUri: string,
    localDir: string,
    artifactPath = '',
  ): Promise<{ files: number; bytes: number }> {
    const base = checkedPath(artifactPath);
    const stat = await fs.stat(localDir).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new MlflowInputError(`cannot upload ${localDir} to MLflow: it is not a directory`);
    }
    const entries = (await fs.readdir(localDir, { recursive: true })).sort();
    let files = 0;
    let bytes = 0;
    for (const rel of entries) {
      const full = path.join(localDir, rel);
      if (!(await fs.stat(full)).isFile()) continue;
      const content = await fs.readFile(full);
      await this.upload(artifactUri, join(base, rel.split(path.sep).join('/')), content);
      files++;
      bytes += content.byteLength;
    }
    if (files === 0) throw new MlflowInputError(`cannot upload ${localDir} to MLflow: it holds no files`);
    return { files, bytes };
  }

  async download(artifactUri: string, artifactPath: string): Promise<Uint8Array> {
    const rel = checkedPath(artifactPath);
    return this.http.bytes('GET', `${PROXY}/${encodePath(join(proxyRoot(artifactUri), rel))}`);
  }

  /** Direct children of a folder (the run's root by default); paths are relative to the run's root. */
  async list(artifactUri: string, artifactPath = ''): Promise<FileInfo[]> {
    const rel = checkedPath(artifactPath);
    const r = await this.http.json<{ files?: FileInfo[] }>('GET', PROXY, {
      query: { path: join(proxyRoot(artifactUri), rel) },
    });
    return (r.files ?? []).map((f) => ({
      path: join(rel, path.posix.basename(f.path)),
      is_dir: Boolean(f.is_dir),
      ...(f.file_size !== undefined ? { file_size: Number(f.file_size) } : {}),
    }));
  }

  /** Every file below a folder, depth first. */
  async listFiles(artifactUri: string, artifactPath = ''): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    for (const f of await this.list(artifactUri, artifactPath)) {
      if (f.is_dir) out.push(...(await this.listFiles(artifactUri, f.path)));
      else out.push(f);
    }
    return out;
  }

  /**
   * Downloads a folder into `localDir`, replacing what was there only once everything has arrived: files
   * land in a sibling temp folder that is then renamed, so a reader never sees a half-downloaded model.
   */
  async downloadDirectory(
    artifactUri: string,
    artifactPath: string,
    localDir: string,
  ): Promise<{ files: number }> {
    const rel = checkedPath(artifactPath);
    const files = await this.listFiles(artifactUri, rel);
    if (files.length === 0) {
      throw new MlflowInputError(`no MLflow artifacts under ${JSON.stringify(rel)} of ${artifactUri}`);
    }
    const target = path.resolve(localDir);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    await fs.mkdir(tmp, { recursive: true });
    try {
      for (const f of files) {
        const inner = rel === '' ? f.path : f.path.slice(rel.length + 1);
        const dest = path.join(tmp, ...inner.split('/'));
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.writeFile(dest, await this.download(artifactUri, f.path));
      }
      const old = `${target}.old-${randomBytes(4).toString('hex')}`;
      const hadOld = await fs.rename(target, old).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
      await fs.rename(tmp, target);
      if (hadOld) await fs.rm(old, { recursive: true, force: true });
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return { files: files.length };
  }
}
