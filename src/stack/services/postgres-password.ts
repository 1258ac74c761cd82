/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as in PostgreSQL's
 * scram_build_secret). Sending it instead of the password keeps the plain password out of the server's
 * statement logs and pg_stat_activity. Hand-written: no maintained npm package exports just this, and it is
 * four standard primitives from node:crypto.
 */
import crypto from 'node:crypto';

const ITERATIONS = 4096;

export function scramVerifier(password: string, salt: Buffer = crypto.randomBytes(16)): string {
  // PostgreSQL SASLprep-normalises passwords; for other than ASCII the two could differ, so refuse.
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new Error(
      'POSTGRES_PASSWORD: use printable ASCII characters only (the local stack pre-hashes it); pick another password.',
    );
  }
  const salted = crypto.pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${ITERATIONS}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
