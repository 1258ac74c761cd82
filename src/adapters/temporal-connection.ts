/**
 * Connection options for Temporal, shared by the client (`Connection.connect`) and the workers
 * (`NativeConnection.connect`), so TLS and the API key are configured once for both.
 *
 * The option shape is declared here structurally rather than imported: adapters stay free of
 * @temporalio/* (the layering rule), and both SDK option types accept it as is (a unit test checks).
 */
import fs from 'node:fs';
import type { Config } from '../config';

export interface TemporalTlsOptions {
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface TemporalConnectionOptions {
  address: string;
  /** false: plain gRPC (the local dev server); an object: TLS, with optional CA and client pair. */
  tls: false | TemporalTlsOptions;
  apiKey?: string;
}

export class TemporalConnectionConfigError extends Error {
  override name = 'TemporalConnectionConfigError';
}

type ReadFile = (file: string) => Buffer;

function readPem(readFile: ReadFile, setting: string, file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : String(e);
    throw new TemporalConnectionConfigError(
      `${setting}=${file} ${why}; point ${setting} at a PEM file, or unset it.`,
    );
  }
  // Caught here, the mistake names its setting; the native TLS layer would only say the handshake failed.
  if (!pem.includes('-----BEGIN ')) {
    throw new TemporalConnectionConfigError(
      `${setting}=${file} is not PEM (no "-----BEGIN" line); convert it to PEM first.`,
    );
  }
  return pem;
}

/** Reads the configured PEM files now, so a wrong path fails at startup with the setting's name. */
export function temporalConnectionOptions(
  temporal: Config['temporal'],
  readFile: ReadFile = (f) => fs.readFileSync(f),
): TemporalConnectionOptions {
  const { address, tls, apiKey } = temporal;
  if (!tls) {
    if (apiKey) throw new TemporalConnectionConfigError('TEMPORAL_API_KEY needs TEMPORAL_TLS=true.');
    return { address, tls: false };
  }
  const options: TemporalTlsOptions = {};
  if (tls.caPath) options.serverRootCACertificate = readPem(readFile, 'TEMPORAL_TLS_CA_PATH', tls.caPath);
  if (tls.certPath && tls.keyPath) {
    options.clientCertPair = {
      crt: readPem(readFile, 'TEMPORAL_TLS_CERT_PATH', tls.certPath),
      key: readPem(readFile, 'TEMPORAL_TLS_KEY_PATH', tls.keyPath),
    };
  }
  return { address, tls: options, ...(apiKey ? { apiKey } : {}) };
}
