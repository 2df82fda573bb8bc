/**
 * Kafka dead letters: the producer's `dlq.topic`. A topic is a log, so what
 * is "still in" it is what the dead-letter consumer group (default
 * `<groupId>-dlq`, never joined, only its offsets set) has not committed
 * past. A replay produces each record to the topic it came from (its
 * `sluice-topic` header) with acks=all, then commits past it; `purge`
 * commits to the end.
 *
 * With a filter, each partition's offset stops at the first record left
 * out: records replayed after it stay listed, and a later replay sends them
 * again (at least once, never lost).
 */
import type { KafkaAdminClient, KafkaRecord } from '@sluice/producers/kafka';
import type { PipelineConfig } from '../config/schema.ts';
import {
  DlqConfigError,
  pacer,
  type DeadLetter,
  type DlqAdapter,
  type ReplayOptions,
} from './types.ts';

type KafkaConfig = Extract<PipelineConfig['producer'], { type: 'kafka' }>;

/** Where a dead letter came from: headers the dead-lettering adds besides the reason and attempts. */
const ORIGIN_HEADERS = ['sluice-topic', 'sluice-partition', 'sluice-offset'];

/** The Kafka adapter; `dlq` and `group` override the topic and the consumer group. */
export async function kafkaDlq(
  producer: KafkaConfig,
  dlq: string | undefined,
  group: string | undefined,
): Promise<DlqAdapter> {
  // Loaded here, not at the top: the CLI loads a wire library only for its broker's pipelines.
  const { ATTEMPTS_HEADER, FAILURE_REASON_HEADER, KafkaJsClient } =
    await import('@sluice/producers/kafka');
  /** Left off a replayed record. */
  const added = new Set([FAILURE_REASON_HEADER, ATTEMPTS_HEADER, ...ORIGIN_HEADERS]);
  const topic = dlq ?? producer.dlq?.topic;
  if (topic === undefined) {
    throw new DlqConfigError(
      "the Kafka producer has no dlq.topic in the file (onFailure: 'dlq'): pass --dlq TOPIC",
    );
  }
  const groupId = group ?? `${producer.groupId}-dlq`;
  const client = new KafkaJsClient({
    clientId: 'sluice-dlq',
    ...(producer.brokers !== undefined && { brokers: [...producer.brokers] }),
    ...(producer.ssl !== undefined && { ssl: producer.ssl as never }),
    ...(producer.sasl !== undefined && { sasl: producer.sasl as never }),
  });
  const text = (b: Buffer | undefined | null): string | undefined => b?.toString('utf8');
  const letter = (r: KafkaRecord): DeadLetter => {
    const attempts = text(r.headers[ATTEMPTS_HEADER]);
    return {
      id: `${r.partition}:${r.offset}`,
      key: text(r.key),
      reason: text(r.headers[FAILURE_REASON_HEADER]) ?? 'unknown',
      attempts: attempts === undefined ? undefined : Number(attempts),
      body: text(r.value) ?? '',
      source: text(r.headers['sluice-topic']) ?? (producer.topics[0] as string),
    };
  };
  const withAdmin = async <T>(run: (admin: KafkaAdminClient) => Promise<T>): Promise<T> => {
    const admin = await client.admin();
    try {
      return await run(admin);
    } finally {
      await admin.close();
    }
  };
  /** Per partition: the first record not yet committed past, and the end. */
  const positions = () =>
    withAdmin(async (admin) => {
      const committed = new Map(
        (await admin.fetchCommittedOffsets(groupId, topic)).map((c) => [c.partition, c.offset]),
      );
      return (await admin.fetchTopicOffsets(topic)).map((p) => {
        const c = committed.get(p.partition);
        const low = BigInt(p.low);
        const start = c === null || c === undefined || BigInt(c) < low ? low : BigInt(c);
        return { partition: p.partition, start, end: BigInt(p.high) };
      });
    });
  /** The records still in, by partition, oldest first. */
  const pending = async (): Promise<KafkaRecord[]> => {
    const starts = new Map((await positions()).map((p) => [p.partition, p.start]));
    const all = await client.readTopic(topic);
    return all.filter((r) => BigInt(r.offset) >= (starts.get(r.partition) ?? 0n));
  };

  return {
    description: `Kafka topic ${topic} (consumer group ${groupId})`,
    async count() {
      return Number((await positions()).reduce((n, p) => n + (p.end - p.start), 0n));
    },
    async peek(limit) {
      return (await pending()).slice(0, limit).map(letter);
    },
    async replay(o: ReplayOptions) {
      const pace = pacer(o.rate);
      const records = await pending();
      const admin = await client.admin();
      const publisher = await client.publisher().catch(async (error: unknown) => {
        await admin.close();
        throw error;
      });
      const blocked = new Set<number>();
      let replayed = 0;
      let kept = 0;
      try {
        for (const r of records) {
          const d = letter(r);
          if (replayed >= o.limit || !o.match(d)) {
            kept++;
            blocked.add(r.partition);
            continue;
          }
          await pace();
          const headers = Object.fromEntries(
            Object.entries(r.headers).filter(([name]) => !added.has(name)),
          );
          // acks=all: the source topic has it before the dead-letter offset moves.
          await publisher.send(d.source, [{ key: r.key, value: r.value, headers }]);
          if (!blocked.has(r.partition)) {
            await admin.setCommittedOffsets(groupId, topic, [
              { partition: r.partition, offset: String(BigInt(r.offset) + 1n) },
            ]);
          }
          replayed++;
          o.onReplayed?.(d);
        }
        return { replayed, kept };
      } finally {
        await publisher.close();
        await admin.close();
      }
    },
    async purge() {
      const ps = await positions();
      await withAdmin((admin) =>
        admin.setCommittedOffsets(
          groupId,
          topic,
          ps.map((p) => ({ partition: p.partition, offset: String(p.end) })),
        ),
      );
      return Number(ps.reduce((n, p) => n + (p.end - p.start), 0n));
    },
    close: () => Promise.resolve(),
  };
}
