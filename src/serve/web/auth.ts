/**
 * The web app's credential: a bearer token from WEB_TOKEN. Compared through SHA-256 digests with
 * timingSafeEqual, so neither the token's length nor its prefix leaks through response times.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export type AuthOutcome = 'ok' | 'missing' | 'malformed' | 'wrong';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Checks an Authorization header value against the configured token. */
export function checkBearer(header: string | undefined, token: string): AuthOutcome {
  if (header === undefined || header.trim() === '') return 'missing';
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) return 'malformed';
  return timingSafeEqual(digest(m[1]!), digest(token)) ? 'ok' : 'wrong';
}

/** What the client is told: what was wrong and what to send instead, never the token. */
export function authProblem(outcome: Exclude<AuthOutcome, 'ok'>): string {
  switch (outcome) {
    case 'missing':
      return 'this endpoint needs a credential: send the header "Authorization: Bearer <WEB_TOKEN>"';
    case 'malformed':
      return 'the Authorization header is not "Bearer <token>": send "Authorization: Bearer <WEB_TOKEN>"';
    case 'wrong':
      return "the bearer token is wrong: send the server's WEB_TOKEN (see Configuration in README.md)";
  }
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: clients on this machine. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return ip === '::1';
}

/** A listen address only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}
