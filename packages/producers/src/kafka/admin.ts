/**
 * Topic and consumer-group administration, and reading a topic without
 * consuming it: what the test fixtures (`@sluice/producers/kafka/testing`),
 * examples and tools use. The producer does not: its seam is
 * {@link KafkaClient} in client.ts. `KafkaJsClient` implements both.
 */
import type {
  KafkaClient,
  KafkaMetadataClient,
  KafkaPublisher,
  KafkaPublisherOptions,
} from './client.ts';

/** A {@link KafkaClient} that also administers the cluster and reads topics. */
export interface KafkaAdmin extends KafkaClient {
  /** A connected admin client. Close it when done. */
  admin(): Promise<KafkaAdminClient>;
  /** A connected publisher. Close it when done. */
  publisher(options?: KafkaPublisherOptions): Promise<KafkaPublisher>;
  /**
   * Every record in `topic` from the earliest offset up to the high watermark
   * at the time of the call, sorted by partition and offset. Commits nothing
   * and leaves no consumer group behind (it reads with a throwaway group
   * `sluice-read-<topic>-<random>` and deletes it). Not for transactional topics.
   */
  readTopic(topic: string, options?: { readonly timeoutMs?: number }): Promise<KafkaRecord[]>;
}

/** Topic and consumer-group administration. */
export interface KafkaAdminClient extends KafkaMetadataClient {
  /** Resolves to false when every topic already existed. Waits for partition leaders. */
  createTopics(topics: readonly KafkaTopicSpec[]): Promise<boolean>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Per partition: the earliest offset (`low`) and the next offset to be written (`high`). */
  fetchTopicOffsets(topic: string): Promise<KafkaPartitionOffsets[]>;
  /** The group's committed offset per partition of `topic`; `null` where it has none. */
  fetchCommittedOffsets(groupId: string, topic: string): Promise<KafkaCommittedOffset[]>;
  /** Sets a group's committed offsets. The group must have no running member. */
  setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { readonly partition: number; readonly offset: string }[],
  ): Promise<void>;
  listGroups(): Promise<string[]>;
  /** Deletes empty groups. Groups that do not exist are ignored. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
}

/** A topic to create. */
export interface KafkaTopicSpec {
  readonly topic: string;
  /** Partitions; the broker's `num.partitions` when left out. */
  readonly numPartitions?: number;
  /** Replicas; the broker's `default.replication.factor` when left out. */
  readonly replicationFactor?: number;
  /** Topic configs, e.g. `{ 'retention.ms': '60000' }`. */
  readonly configEntries?: Readonly<Record<string, string>>;
}

/** Offsets of one partition, from {@link KafkaAdminClient.fetchTopicOffsets}. */
export interface KafkaPartitionOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/** A group's committed offset for one partition. */
export interface KafkaCommittedOffset {
  readonly partition: number;
  readonly offset: string | null;
}

/** A record read from a topic by {@link KafkaAdmin.readTopic}. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly timestamp: string;
}
