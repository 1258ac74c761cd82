/** Removes everything one benchmark run left in Kafka and the ledger, so runs never pile up. */
import type { Kafka } from 'kafkajs';
import type { Ledger } from '../../src/adapters/pg/ledger';

export async function deleteBenchRun(
  kafka: Kafka,
  ledger: Ledger,
  run: { readonly topic: string; readonly deadLetterTopic: string; readonly groupIds: readonly string[] },
): Promise<void> {
  // batch_samples go with their batch (ON DELETE CASCADE).
  await ledger.pool.query('DELETE FROM batches WHERE topic = $1', [run.topic]);
  await ledger.pool.query('DELETE FROM published_samples WHERE topic = $1', [run.topic]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // A group that never committed does not exist on the broker: nothing to delete is fine.
    await admin.deleteGroups([...run.groupIds]).catch(() => undefined);
    await admin.deleteTopics({ topics: [run.topic, run.deadLetterTopic] });
  } finally {
    await admin.disconnect();
  }
}
