/**
 * Verified, resumable HTTP download of one file from a list of mirrors.
 *
 * Bytes go to `<dest>.part`; an interrupted transfer is resumed with an HTTP Range request (on the same or the
 * next mirror), and the file is renamed to `dest` only after its checksum matches, so `dest` is either absent
 * or correct. A checksum mismatch deletes the `.part` (its bytes cannot be trusted) and moves to the next
 * mirror. Written on Node's fetch because no maintained npm downloader does Range resume + checksum + mirrors.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import cliProgress from 'cli-progress';

export interface DownloadRequest {
  /** URLs of the same file, tried in order. */
  readonly urls: readonly string[];
  /** Final path; created only once the content checks out. */
  readonly dest: string;
  /** sha256 of the content: of the file itself, or of its decompressed bytes when it is gzip. */
  readonly sha256: string;
  /** Tries per URL when the transfer breaks off (each try resumes); default 3. */
  readonly attemptsPerUrl?: number;
  /** Abort a try when no byte arrives for this long; default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Progress bar on stderr; default: only when stderr is a terminal, otherwise periodic log lines. */
  readonly progressBar?: boolean;
  /** Where progress lines and retry notes go; default stderr. */
  readonly log?: (line: string) => void;
  /** Seconds between progress log lines when there is no bar; default 5. */
  readonly logEverySeconds?: number;
}

export interface DownloadResult {
  readonly url: string;
  readonly bytes: number;
  /** True when bytes of an earlier, interrupted try were kept and resumed. */
  readonly resumed: boolean;
}

/** Every mirror failed; `failures` says why, one line per try. `dest` was not created. */
export class DownloadError extends Error {
  constructor(
    readonly dest: string,
    readonly failures: readonly string[],
  ) {
    super(
      `Could not download ${path.basename(dest)}:\n${failures.map((f) => `  - ${f}`).join('\n')}\n` +
        'Check the network or the mirror list, or place the file in that folder yourself ' +
        `(${path.dirname(dest)}) and run again.`,
    );
    this.name = 'DownloadError';
  }
}

/** A definite answer from the server (404, 403…): retrying the same URL will not help. */
class HttpStatusError extends Error {}

export async function downloadVerified(req: DownloadRequest): Promise<DownloadResult> {
  if (req.urls.length === 0) throw new DownloadError(req.dest, ['no URLs given']);
  const log = req.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const part = `${req.dest}.part`;
  const failures: string[] = [];
  await fs.mkdir(path.dirname(req.dest), { recursive: true });

  for (const url of req.urls) {
    for (let attempt = 1; attempt <= (req.attemptsPerUrl ?? 3); attempt++) {
      try {
        const { resumed } = await fetchIntoPart(url, part, req, log);
        const digest = await contentSha256(part);
        if (digest !== req.sha256) {
          await fs.rm(part, { force: true });
          failures.push(`${url}: checksum mismatch (sha256 ${digest}, expected ${req.sha256})`);
          break;
        }
        const { size } = await fs.stat(part);
        await fs.rename(part, req.dest);
        return { url, bytes: size, resumed };
      } catch (e) {
        failures.push(`${url}: ${(e as Error).message}`);
        if (e instanceof HttpStatusError) break;
        log(
          `download of ${path.basename(req.dest)} from ${url} broke off (try ${attempt}): ${(e as Error).message}`,
        );
      }
    }
  }
  throw new DownloadError(req.dest, failures);
}

/** Appends to `part` from where it stops (Range), or rewrites it when the server ignores ranges. */
async function fetchIntoPart(
  url: string,
  part: string,
  req: DownloadRequest,
  log: (line: string) => void,
): Promise<{ resumed: boolean }> {
  const have = await fs.stat(part).then(
    (s) => s.size,
    () => 0,
  );
  const abort = new AbortController();
  const idleMs = req.idleTimeoutMs ?? 30_000;
  let idle = setTimeout(() => abort.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  try {
    const res = await fetch(url, {
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
      signal: abort.signal,
    });
    // 416: nothing past what we have, i.e. the .part is already whole; the checksum decides.
    if (res.status === 416 && have > 0) {
      await res.body?.cancel();
      return { resumed: true };
    }
    let offset = 0;
    if (res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== have) {
        await res.body?.cancel();
        throw new Error(`server answered range ${have}- with "${res.headers.get('content-range')}"`);
      }
      offset = have;
    } else if (res.status !== 200) {
      await res.body?.cancel();
      throw new HttpStatusError(`HTTP ${res.status} ${res.statusText}`);
    }
    if (!res.body) throw new Error('empty response body');
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? offset + length : undefined;
    const progress = startProgress(path.basename(req.dest), url, offset, total, req, log);
    try {
      await pipeline(
        Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            touch();
            progress.add(chunk.length);
            yield chunk;
          }
        },
        createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }),
      );
    } finally {
      progress.stop();
    }
    const { size } = await fs.stat(part);
    if (total !== undefined && size !== total) throw new Error(`transfer ended at ${size} of ${total} bytes`);
    return { resumed: offset > 0 };
  } finally {
    clearTimeout(idle);
  }
}

/** sha256 of the file, or of its decompressed bytes when it starts with the gzip magic 1f 8b. */
export async function contentSha256(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const hash = createHash('sha256');
  const gz = magic[0] === 0x1f && magic[1] === 0x8b;
  try {
    if (gz) await pipeline(createReadStream(file), createGunzip(), hash);
    else await pipeline(createReadStream(file), hash);
  } catch (e) {
    // Undecodable gzip is bad content, like a wrong checksum: report it as one.
    return `<unreadable gzip: ${(e as Error).message}>`;
  }
  return hash.digest('hex');
}

interface Progress {
  add(bytes: number): void;
  stop(): void;
}

function startProgress(
  name: string,
  url: string,
  start: number,
  total: number | undefined,
  req: DownloadRequest,
  log: (line: string) => void,
): Progress {
  let done = start;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  if (req.progressBar ?? process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${name} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s`,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total ?? 0, start);
    return {
      add: (n) => bar.update((done += n)),
      stop: () => bar.stop(),
    };
  }
  const every = (req.logEverySeconds ?? 5) * 1000;
  let last = Date.now();
  const line = () =>
    `downloading ${name} from ${new URL(url).host}: ${mb(done)}${total ? ` of ${mb(total)} MB (${Math.floor((100 * done) / total)}%)` : ' MB'}`;
  log(`${line()}${start > 0 ? ' (resuming)' : ''}`);
  return {
    add: (n) => {
      done += n;
      if (Date.now() - last >= every) {
        last = Date.now();
        log(line());
      }
    },
    stop: () => log(line()),
  };
}
