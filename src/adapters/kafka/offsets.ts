/** Committed offsets and lag of a consumer group, read and moved with the admin API. */
import type { Admin, Kafka } from 'kafkajs';
import type { ConsumerLag } from '../../domain/stream/ports';

export type { ConsumerLag, PartitionLag } from '../../domain/stream/ports';

/** Runs admin requests: on a connection of its own (one-off callers) or a kept one (AdminSession). */
export type AdminUse = <T>(fn: (admin: Admin) => Promise<T>) => Promise<T>;

async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs connects without loading cluster metadata, so the first group request finds no broker
    // and waits out a retry backoff (~300 ms, measured). Loading it first takes one short round trip.
    await admin.describeCluster();
    return admin;
  } catch (err) {
    await admin.disconnect();
    throw err;
  }
}

/** Connections below kafkajs's public API (commitOutsideGroup), kept as long as their admin connection. */
const clusters = new WeakMap<Admin, Promise<InternalCluster>>();

async function disconnect(admin: Admin): Promise<void> {
  const cluster = clusters.get(admin);
  clusters.delete(admin);
  await (await cluster?.catch(() => undefined))?.disconnect().catch(() => undefined);
  await admin.disconnect();
}

/** A connection for one call, closed after it. */
export function oneOffAdmin(kafka: Kafka): AdminUse {
  return async (fn) => {
    const admin = await connectAdmin(kafka);
    try {
      return await fn(admin);
    } finally {
      await disconnect(admin);
    }
  };
}

export interface AdminSession {
  readonly use: AdminUse;
  close(): Promise<void>;
}

/**
 * One admin connection kept for a worker's lifetime: a cycle's lag, catch-up commit and read no longer
 * open three. Any failed request drops it, so the next call (the activity's retry) connects afresh,
 * e.g. to a restarted broker.
 */
export function adminSession(kafka: Kafka): AdminSession {
  let admin: Promise<Admin> | undefined;
  const drop = async () => {
    const a = admin;
    admin = undefined;
    const opened = await a?.catch(() => undefined);
    if (opened) await disconnect(opened).catch(() => undefined);
  };
  return {
    async use(fn) {
      admin ??= connectAdmin(kafka);
      try {
        return await fn(await admin);
      } catch (err) {
        await drop();
        throw err;
      }
    },
    close: drop,
  };
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  // '-1' means the group never committed on that partition.
  return new Map(
    (t?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]),
  );
}

/** End offsets minus the group's committed offsets (from the log start where nothing is committed). */
export function consumerLag(
  kafka: Kafka,
  groupId: string,
  topic: string,
  use: AdminUse = oneOffAdmin(kafka),
): Promise<ConsumerLag> {
  return use(async (admin) => {
    const [ends, done] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      committed(admin, groupId, topic),
    ]);
    const partitions = ends
      .map((p) => {
        const low = BigInt(p.low);
        const end = BigInt(p.high);
        const c = done.get(p.partition);
        // A committed offset below the log start (retention deleted records) resumes at the start.
        const next = c === undefined || c < low ? low : c;
        return {
          partition: p.partition,
          next: String(next),
          end: String(end),
          lag: Number(end > next ? end - next : 0n),
        };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic, groupId, partitions, total: partitions.reduce((s, p) => s + p.lag, 0) };
  });
}

/** The parts of kafkajs 2.2's internal Cluster and Broker used below (the version is pinned). */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(q: { groupId: string }): Promise<{
    offsetCommit(r: {
      groupId: string;
      groupGenerationId: number;
      memberId: string;
      topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
    }): Promise<unknown>;
  }>;
}

/**
 * A connection to the cluster below kafkajs's public API. kafkajs's admin.setOffsets joins the group with
 * a consumer, seeks and waits for a fetch: 5.1 s per commit (measured), its consumer's default
 * maxWaitTime. Kafka itself takes an offset commit for an empty group from a client outside it
 * (generation -1, no member id), as the Java AdminClient's alterConsumerGroupOffsets sends it.
 */
function internalCluster(kafka: Kafka): InternalCluster | undefined {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (k) => k.description === 'private:Kafka:createCluster',
  );
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key];
  return typeof create === 'function'
    ? (create as (o: object) => InternalCluster)({ allowAutoTopicCreation: false })
    : undefined;
}

/**
 * Moves the group's committed offsets forward to `next` (partition → offset of the first record NOT
 * yet used). Idempotent and monotonic: a partition already at or past its target is left alone, so a
 * late retry of an older commit cannot rewind the group. Needs the group to have no active member,
 * which holds because the bounded consumer leaves the group before returning.
 */
export function commitBatch(
  kafka: Kafka,
  groupId: string,
  topic: string,
  next: Readonly<Record<number, string>>,
  use: AdminUse = oneOffAdmin(kafka),
): Promise<Record<number, string>> {
  return use(async (admin) => {
    const done = await committed(admin, groupId, topic);
    const moves = Object.entries(next)
      .map(([p, o]) => ({ partition: Number(p), offset: o }))
      .filter((m) => {
        const c = done.get(m.partition);
        return c === undefined || c < BigInt(m.offset);
      });
    if (moves.length) await commitOutsideGroup(kafka, admin, groupId, topic, moves);
    return Object.fromEntries(moves.map((m) => [m.partition, m.offset]));
  });
}

export async function commitOutsideGroup(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  topic: string,
  moves: { partition: number; offset: string }[],
): Promise<void> {
  const cluster = internalCluster(kafka);
  if (!cluster) {
    await admin.setOffsets({ groupId, topic, partitions: moves });
    return;
  }
  const { groups } = await admin.describeGroups([groupId]);
  const state = groups[0]?.state ?? 'Dead';
  if (state !== 'Empty' && state !== 'Dead') {
    throw new Error(
      `cannot move the offsets of consumer group ${groupId}: it has running members (state ${state}); ` +
        'retry once they have left',
    );
  }
  // Connected once per admin connection: a kept session commits without a new handshake (~0.2 s).
  let connected = clusters.get(admin);
  if (!connected) {
    connected = cluster.connect().then(() => cluster);
    clusters.set(admin, connected);
  }
  const coordinator = await (await connected).findGroupCoordinator({ groupId });
  // kafkajs turns a partition's error code into a thrown KafkaJSProtocolError.
  await coordinator.offsetCommit({
    groupId,
    groupGenerationId: -1,
    memberId: '',
    topics: [{ topic, partitions: moves }],
  });
}
