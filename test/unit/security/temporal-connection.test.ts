import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { loadConfig } from '../../../src/config';
import {
  TemporalConnectionConfigError,
  temporalConnectionOptions,
} from '../../../src/adapters/temporal-connection';

const pem = (label: string) => `-----BEGIN ${label}-----\nMIIB${label.length}\n-----END ${label}-----\n`;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
  fs.writeFileSync(path.join(dir, 'ca.pem'), pem('CERTIFICATE'));
  fs.writeFileSync(path.join(dir, 'client.pem'), pem('CERTIFICATE'));
  fs.writeFileSync(path.join(dir, 'client.key'), pem('PRIVATE KEY'));
  fs.writeFileSync(path.join(dir, 'client.der'), Buffer.from([0x30, 0x82, 0x01, 0x0a]));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tlsEnv = (extra: Record<string, string> = {}) =>
  loadConfig({
    TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_CA_PATH: path.join(dir, 'ca.pem'),
    TEMPORAL_TLS_CERT_PATH: path.join(dir, 'client.pem'),
    TEMPORAL_TLS_KEY_PATH: path.join(dir, 'client.key'),
    ...extra,
  }).temporal;

describe('temporalConnectionOptions', () => {
  it('connects in plain gRPC to the local dev server by default', () => {
    expect(temporalConnectionOptions(loadConfig({}).temporal)).toEqual({
      address: '127.0.0.1:7233',
      tls: false,
    });
  });

  it('reads the CA and the client pair for mTLS, and passes the API key', () => {
    const o = temporalConnectionOptions(tlsEnv({ TEMPORAL_API_KEY: 'key-1' }));
    expect(o.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(o.apiKey).toBe('key-1');
    expect(o.tls && o.tls.serverRootCACertificate?.toString()).toBe(pem('CERTIFICATE'));
    expect(o.tls && o.tls.clientCertPair?.key.toString()).toBe(pem('PRIVATE KEY'));
    expect(o.tls && o.tls.clientCertPair?.crt.toString()).toBe(pem('CERTIFICATE'));
  });

  it('uses the system roots when only TLS is asked for (e.g. an API key)', () => {
    const o = temporalConnectionOptions(loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_API_KEY: 'k' }).temporal);
    expect(o).toEqual({ address: '127.0.0.1:7233', tls: {}, apiKey: 'k' });
  });

  it('fits both the client and the worker connection options of the SDK', () => {
    const o = temporalConnectionOptions(tlsEnv());
    const client: ConnectionOptions = o;
    const worker: NativeConnectionOptions = o;
    expect(client.tls).toBe(worker.tls);
  });

  it('names the setting of a missing file', () => {
    const t = tlsEnv({ TEMPORAL_TLS_KEY_PATH: path.join(dir, 'nope.key') });
    expect(() => temporalConnectionOptions(t)).toThrow(TemporalConnectionConfigError);
    expect(() => temporalConnectionOptions(t)).toThrow(/TEMPORAL_TLS_KEY_PATH=.*nope\.key does not exist/);
  });

  it('refuses a file that is not PEM, naming its setting', () => {
    const t = tlsEnv({ TEMPORAL_TLS_CA_PATH: path.join(dir, 'client.der') });
    expect(() => temporalConnectionOptions(t)).toThrow(/TEMPORAL_TLS_CA_PATH=.*client\.der is not PEM/);
  });

  it('never sends an API key without TLS, even when handed one directly', () => {
    const t = { ...loadConfig({}).temporal, apiKey: 'k' };
    expect(() => temporalConnectionOptions(t)).toThrow(/TEMPORAL_TLS=true/);
  });
});
