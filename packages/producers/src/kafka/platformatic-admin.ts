/**
 * {@link KafkaMetadataClient} over a @platformatic/kafka `Admin`: the topic
 * list the producer checks at start, and the offsets it polls for backlog.
 */
import type { Admin } from '@platformatic/kafka';
import type { KafkaGroupPartitionOffsets, KafkaMetadataClient } from './client.ts';

/** Latest and earliest, as ListOffsets spells them. */
const LATEST = -1n;
const EARLIEST = -2n;

/** Turns a library error into a `BrokerError` naming the operation and topic. */
type ToError = (error: unknown, operation: string, topic: string | undefined) => Error;

/** Wraps a @platformatic/kafka admin client; `close()` closes it. */
export class PlatformaticMetadata implements KafkaMetadataClient {
  readonly #admin: Admin;
  readonly #toError: ToError;

  constructor(admin: Admin, toError: ToError) {
    this.#admin = admin;
    this.#toError = toError;
  }

  async listTopics(): Promise<string[]> {
    try {
      return await this.#admin.listTopics();
    } catch (error) {
      throw this.#toError(error, 'listTopics', undefined);
    }
  }

  async fetchGroupOffsets(groupId: string, topic: string): Promise<KafkaGroupPartitionOffsets[]> {
    try {
      const metadata = await this.#admin.metadata({ topics: [topic] });
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      const partitions = Array.from({ length: count }, (_, i) => i);
      const [lows, highs, groups] = await Promise.all([
        this.#listOffsets(topic, partitions, EARLIEST),
        this.#listOffsets(topic, partitions, LATEST),
        this.#admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }],
        }),
      ]);
      const committed = new Map<number, bigint>();
      for (const g of groups) {
        for (const t of g.topics) {
          if (t.name !== topic) continue;
          for (const p of t.partitions) committed.set(p.partitionIndex, p.committedOffset);
        }
      }
      return partitions.map((partition) => {
        const c = committed.get(partition);
        return {
          partition,
          low: String(lows.get(partition) ?? 0n),
          high: String(highs.get(partition) ?? 0n),
          committed: c === undefined || c < 0n ? null : String(c),
        };
      });
    } catch (error) {
      throw this.#toError(error, 'fetchGroupOffsets', topic);
    }
  }

  close(): Promise<void> {
    return this.#admin.close();
  }

  async #listOffsets(
    topic: string,
    partitions: readonly number[],
    timestamp: bigint,
  ): Promise<Map<number, bigint>> {
    const topics = await this.#admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
        },
      ],
    });
    const offsets = new Map<number, bigint>();
    for (const t of topics) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) offsets.set(p.partitionIndex, p.offset);
    }
    return offsets;
  }
}
