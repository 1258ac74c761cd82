import net from 'node:net';
import { endpointOfUrl, isPortOpen, parseHostPort } from '../../../src/stack/ports';

describe('parseHostPort', () => {
  it('splits host and port', () => {
    expect(parseHostPort('127.0.0.1:7233', 'TEMPORAL_ADDRESS')).toEqual({ host: '127.0.0.1', port: 7233 });
  });

  it.each(['127.0.0.1', '127.0.0.1:', 'a:b:c', 'host:abc'])('rejects %p naming the setting', (v) => {
    expect(() => parseHostPort(v, 'TEMPORAL_ADDRESS')).toThrow(/TEMPORAL_ADDRESS/);
  });

  it('rejects ports outside 1..65535', () => {
    expect(() => parseHostPort('localhost:0', 'KAFKA_BROKERS')).toThrow(/between 1 and 65535/);
    expect(() => parseHostPort('localhost:70000', 'KAFKA_BROKERS')).toThrow(/between 1 and 65535/);
  });
});

describe('endpointOfUrl', () => {
  it('takes the explicit port', () => {
    expect(endpointOfUrl('http://127.0.0.1:5000', 'MLFLOW_TRACKING_URI')).toEqual({
      host: '127.0.0.1',
      port: 5000,
    });
  });

  it('falls back to the scheme default', () => {
    expect(endpointOfUrl('http://mlflow.local', 'X')).toEqual({ host: 'mlflow.local', port: 80 });
    expect(endpointOfUrl('https://mlflow.local/', 'X')).toEqual({ host: 'mlflow.local', port: 443 });
  });

  it('rejects non-http and malformed URLs', () => {
    expect(() => endpointOfUrl('ftp://x:21', 'MLFLOW_TRACKING_URI')).toThrow(/http\(s\)/);
    expect(() => endpointOfUrl('not a url', 'MLFLOW_TRACKING_URI')).toThrow(/MLFLOW_TRACKING_URI/);
  });
});

describe('isPortOpen', () => {
  it('tells a listening port from a closed one', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await isPortOpen({ host: '127.0.0.1', port })).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await isPortOpen({ host: '127.0.0.1', port })).toBe(false);
  });
});
