/**
 * Client authentication of the private PostgreSQL cluster: every role needs its password (SCRAM) on TCP
 * and on the socket alike; only the stack itself reaches the superuser, through the socket, as the OS user
 * running it (peer + ident map). No `trust` line anywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileDurableSync } from '../../durable-file';

export const ADMIN_MAP = 'stack_admin';

export function renderPgHba(): string {
  return [
    '# Written by temporal-mlops (src/stack/services/postgres-hba.ts) on every start; edits are lost.',
    '# TYPE  DATABASE  USER      ADDRESS        METHOD',
    `local   all       postgres                 peer map=${ADMIN_MAP}`,
    'host    all       postgres  all            reject',
    'local   all       all                      scram-sha-256',
    'host    all       all       127.0.0.1/32   scram-sha-256',
    'host    all       all       ::1/128        scram-sha-256',
    '',
  ].join('\n');
}

/** OS users allowed to act as the superuser over the socket: the one running the stack, and postgres. */
export function renderPgIdent(stackUser: string): string {
  const users = [...new Set([stackUser, 'postgres'])];
  return [
    '# Written by temporal-mlops (src/stack/services/postgres-hba.ts) on every start; edits are lost.',
    ...users.map((u) => `${ADMIN_MAP}  ${u}  postgres`),
    '',
  ].join('\n');
}

/**
 * Writes pg_hba.conf and pg_ident.conf into the data directory, owned by postgres and private to it.
 * Returns true when either changed (the server then needs a reload). The temp file gets its owner
 * before the rename, so the server never sees a file it cannot read.
 */
export function writeAuthFiles(dataDir: string, stackUser: string, owner: { uid: number; gid: number }) {
  let changed = false;
  for (const [name, content] of [
    ['pg_hba.conf', renderPgHba()],
    ['pg_ident.conf', renderPgIdent(stackUser)],
  ] as const) {
    const file = path.join(dataDir, name);
    let current: string | undefined;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    writeFileDurableSync(file, content, { mode: 0o600, owner });
    changed = true;
  }
  return changed;
}
