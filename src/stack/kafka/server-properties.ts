import crypto from 'node:crypto';

export interface KafkaNodeSettings {
  brokerHost: string;
  brokerPort: number;
  controllerPort: number;
  logDir: string;
}

/** server.properties of a single-node KRaft cluster (combined broker + controller) on loopback only. */
export function renderServerProperties(s: KafkaNodeSettings): string {
  const controller = `${s.brokerHost}:${s.controllerPort}`;
  const props: [string, string | number][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.bootstrap.servers', controller],
    ['listeners', `PLAINTEXT://${s.brokerHost}:${s.brokerPort},CONTROLLER://${controller}`],
    ['advertised.listeners', `PLAINTEXT://${s.brokerHost}:${s.brokerPort},CONTROLLER://${controller}`],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['log.dirs', s.logDir],
    // Topics are created on purpose by the app with their partition count; a typo must not make one.
    ['auto.create.topics.enable', 'false'],
    ['num.partitions', 1],
    ['offsets.topic.replication.factor', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    // One member per group locally: no reason to wait for more to join.
    ['group.initial.rebalance.delay.ms', 0],
  ];
  return `# Written by src/stack (npm run stack); edits are overwritten on the next \`stack up\`.\n${props
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Replaces log.dirs, for formatting into a side folder that is renamed into place afterwards. */
export function withLogDir(properties: string, logDir: string): string {
  return properties.replace(/^log\.dirs=.*$/m, `log.dirs=${logDir}`);
}

/**
 * A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what `kafka-storage random-uuid`
 * prints). Like Kafka's own Uuid, never one that starts with "-": the storage tool's `--cluster-id -x…`
 * would read it as an option and fail (1 fresh stack in 64; it aborted a CI fault suite).
 */
export function newClusterId(random: (n: number) => Buffer = crypto.randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
