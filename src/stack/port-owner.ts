import { spawnSync } from 'node:child_process';

/** Pulls `name (pid N)` out of an `ss -ltnpH` line, e.g. users:(("java",pid=123,fd=140)). */
export function parseSsOwner(ssOutput: string): string | undefined {
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(ssOutput);
  return m ? `${m[1]} (pid ${m[2]})` : undefined;
}

/** Which program listens on a TCP port, when `ss` can tell; undefined otherwise. */
export function listenerOf(port: number): { description: string; pid: number } | undefined {
  const r = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const out = r.status === 0 ? r.stdout : '';
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
  return m ? { description: parseSsOwner(out) ?? '', pid: Number(m[2]) } : undefined;
}
