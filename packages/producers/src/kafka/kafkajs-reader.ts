/**
 * Reading a whole topic without consuming it, for fixtures and tools
 * (`KafkaAdmin.readTopic`): a throwaway consumer group reads every
 * partition to its end offset at the time of the call, commits nothing, and
 * is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Batch, KafkaMessage } from 'kafkajs';
import { BrokerError } from '../errors.ts';
import type { KafkaAdminClient, KafkaRecord } from './admin.ts';
import { toHeaders } from './headers.ts';
import type { KafkaJsContext } from './kafkajs-support.ts';

/** Every record of `topic` up to its current end, sorted by partition and offset. */
export async function readKafkaTopic(
  context: KafkaJsContext,
  admin: KafkaAdminClient,
  topic: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<KafkaRecord[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  try {
    const ends = new Map<number, bigint>();
    let expected = 0n;
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const high = BigInt(p.high);
      if (high > BigInt(p.low)) ends.set(p.partition, high);
      expected += high - BigInt(p.low);
    }
    if (ends.size === 0) return [];
    const groupId = `sluice-read-${topic}-${randomUUID().slice(0, 8)}`;
    try {
      const records = await consumeUntil(context, topic, groupId, ends, expected, timeoutMs);
      return records.sort((a, b) =>
        a.partition !== b.partition
          ? a.partition - b.partition
          : Number(BigInt(a.offset) - BigInt(b.offset)),
      );
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.close();
  }
}

/** Runs a throwaway consumer until each partition reached its end offset. */
async function consumeUntil(
  { kafka, call, toError }: KafkaJsContext,
  topic: string,
  groupId: string,
  ends: Map<number, bigint>,
  expected: bigint,
  timeoutMs: number,
): Promise<KafkaRecord[]> {
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    retry: { retries: 2 },
  });
  const records: KafkaRecord[] = [];
  const pending = new Set(ends.keys());
  let timer: NodeJS.Timeout | undefined;
  try {
    await call('connect', topic, () => consumer.connect());
    await call('subscribe', topic, () =>
      consumer.subscribe({ topics: [topic], fromBeginning: true }),
    );
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new BrokerError(
            'ERR_BROKER_REQUEST',
            'kafka',
            `timed out after ${timeoutMs} ms reading Kafka topic ${topic}: got ${records.length} of ${expected} records`,
          ),
        );
      }, timeoutMs);
      // A retriable crash (the group coordinator still loading after a broker
      // restart) is one kafkajs restarts from by itself, within timeoutMs.
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) reject(toError(event.payload.error, 'readTopic', topic));
      });
      const eachBatch = ({ batch }: { batch: Batch }): Promise<void> => {
        const end = ends.get(batch.partition);
        if (end === undefined) return Promise.resolve();
        for (const m of batch.messages) {
          if (BigInt(m.offset) < end) records.push(toRecord(topic, batch.partition, m));
        }
        if (BigInt(batch.lastOffset()) >= end - 1n) pending.delete(batch.partition);
        if (pending.size === 0) resolve();
        return Promise.resolve();
      };
      consumer.run({ autoCommit: false, eachBatch }).catch((error: unknown) => {
        reject(toError(error, 'readTopic', topic));
      });
    });
    return records;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

function toRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: toHeaders(m.headers),
    timestamp: m.timestamp,
  };
}
