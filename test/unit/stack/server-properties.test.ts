import { loadConfig } from '../../../src/config';
import { newClusterId, renderServerProperties, withLogDir } from '../../../src/stack/kafka/server-properties';
import { parseHostPort } from '../../../src/stack/ports';

function parse(props: string): Map<string, string> {
  return new Map(
    props
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

describe('renderServerProperties', () => {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:19092', KAFKA_CONTROLLER_PORT: '19093' });
  const broker = parseHostPort(config.kafka.brokers[0]!, 'KAFKA_BROKERS');
  const props = parse(
    renderServerProperties({
      brokerHost: broker.host,
      brokerPort: broker.port,
      controllerPort: config.kafka.controllerPort,
      logDir: '/state/kafka/data',
    }),
  );

  it('listens on loopback only, on the configured broker and controller ports', () => {
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('controller.quorum.bootstrap.servers')).toBe('127.0.0.1:19093');
    expect(props.has('controller.quorum.voters')).toBe(false); // --standalone forbids it
  });

  it('is a single combined node that never creates topics by accident', () => {
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('log.dirs')).toBe('/state/kafka/data');
  });

  it('can point the log dir elsewhere for formatting', () => {
    const moved = parse(
      withLogDir(
        renderServerProperties({ brokerHost: 'h', brokerPort: 1, controllerPort: 2, logDir: '/a' }),
        '/b',
      ),
    );
    expect(moved.get('log.dirs')).toBe('/b');
  });
});

describe('newClusterId', () => {
  it('is 22 URL-safe base64 characters and differs each time', () => {
    const a = newClusterId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newClusterId()).not.toBe(a);
  });

  it('never starts with "-", which the storage tool would take for an option', () => {
    // 0xf8 encodes to a leading "-" in base64url; the second draw is taken instead.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    expect(Buffer.alloc(16, 0xf8).toString('base64url')).toMatch(/^-/);
    expect(newClusterId(() => draws.shift()!)).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
  });
});
