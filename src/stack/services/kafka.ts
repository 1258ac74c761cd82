import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../config';
import { writeFileDurableSync } from '../../durable-file';
import { newClusterId, renderServerProperties, withLogDir } from '../kafka/server-properties';
import { parseHostPort } from '../ports';
import { runChecked, runLogged, spawnDetached, terminate } from '../processes';
import type { Service, StackContext } from '../service';
import { describeHealthError } from '../service';

const POM = path.join(REPO_ROOT, 'src', 'stack', 'kafka', 'pom.xml');
const LOG4J = path.join(REPO_ROOT, 'src', 'stack', 'kafka', 'log4j2.properties');

export function kafkaService(ctx: StackContext): Service {
  const { config, paths } = ctx;
  const version = config.stack.kafkaVersion;
  const broker = parseHostPort(config.kafka.brokers[0] ?? '', 'KAFKA_BROKERS');
  const controller = { host: broker.host, port: config.kafka.controllerPort };
  const home = path.join(paths.cacheDir, `kafka-${version}`);
  const libs = path.join(home, 'libs');
  const dir = paths.serviceDir('kafka');
  const dataDir = path.join(dir, 'data');
  const propsFile = path.join(dir, 'server.properties');
  const logFile = paths.logFile('kafka');
  const java = (args: string[], what: string) => runChecked('java', ['-cp', `${libs}/*`, ...args], what);

  return {
    name: 'kafka',
    dependsOn: [],
    ports: [broker, controller],
    url: `${broker.host}:${broker.port}`,
    logFile,
    commandMarker: 'kafka.Kafka',

    async provision() {
      let worked = false;
      if (!fs.existsSync(libs)) {
        worked = true;
        await runChecked(
          'mvn',
          ['--version'],
          'kafka: Maven is needed to fetch the Kafka jars (apt-get install -y maven)',
        );
        const partial = `${libs}.partial`;
        fs.rmSync(partial, { recursive: true, force: true });
        ctx.say(`kafka: fetching Kafka ${version} jars from Maven Central into ${home}`);
        await runLogged(
          'mvn',
          [
            '-B',
            '-q',
            '-f',
            POM,
            `-Dmaven.repo.local=${path.join(paths.cacheDir, 'm2')}`,
            `-Dkafka.version=${version}`,
            'dependency:copy-dependencies',
            '-DincludeScope=runtime',
            `-DoutputDirectory=${partial}`,
          ],
          'kafka: mvn dependency:copy-dependencies',
          path.join(paths.cacheDir, 'logs', `kafka-${version}-mvn.log`),
        );
        // Only a complete download gets the final name, so an interrupted one is redone, not used.
        fs.renameSync(partial, libs);
      }
      const props = renderServerProperties({
        brokerHost: broker.host,
        brokerPort: broker.port,
        controllerPort: controller.port,
        logDir: dataDir,
      });
      writeFileDurableSync(propsFile, props);
      if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
        worked = true;
        const partial = `${dataDir}.partial`;
        const partialProps = `${propsFile}.partial`;
        fs.rmSync(partial, { recursive: true, force: true });
        writeFileDurableSync(partialProps, withLogDir(props, partial));
        await java(
          [
            `-Dlog4j2.configurationFile=${LOG4J}`,
            'kafka.tools.StorageTool',
            'format',
            '--config',
            partialProps,
            '--cluster-id',
            newClusterId(),
            '--standalone',
          ],
          'kafka: format KRaft storage',
        );
        fs.rmSync(partialProps);
        fs.renameSync(partial, dataDir);
      }
      return worked;
    },

    async start() {
      return spawnDetached({
        command: 'java',
        args: [
          '-Xms128m',
          '-Xmx512m',
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${LOG4J}`,
          `-Dkafka.logs.dir=${paths.logsDir}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          propsFile,
        ],
        logFile,
        cwd: dir,
      });
    },

    async stop(pid) {
      // A controlled shutdown of a single node takes a few seconds; give it time before SIGKILL.
      await terminate(pid, { group: true, graceMs: 30000 });
    },

    async health() {
      const { Kafka, logLevel } = await import('kafkajs');
      const admin = new Kafka({
        clientId: `${config.kafka.clientId}-stack`,
        brokers: [`${broker.host}:${broker.port}`],
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 ? { ok: true } : { ok: false, reason: 'no broker registered yet' };
      } catch (e) {
        return { ok: false, reason: describeHealthError(e) };
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },

    notes: () => [`data: ${dataDir}`],
  };
}
