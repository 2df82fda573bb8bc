/**
 * The seam between Sluice and a Kafka client library. `KafkaJsClient`
 * implements it with kafkajs; tests can implement it in memory, and another
 * library can replace kafkajs without touching producer logic.
 *
 * A {@link KafkaClient} is a factory: it opens an admin connection, a
 * publisher, a consumer-group member, or reads a topic. The consumer-group
 * API ({@link KafkaClient.consumer}) is what the Kafka producer runs on: this
 * is the place to add another client (@platformatic/kafka, or Confluent's
 * KafkaJS-compatible API on librdkafka) beside kafkajs.
 *
 * Offsets are decimal strings, as on the wire (int64). Failures reject with a
 * `BrokerError` (`ERR_TOPIC_NOT_FOUND`, `ERR_BROKER_UNREACHABLE`,
 * `ERR_BROKER_REQUEST`).
 */

/** Opens connections to a Kafka cluster. */
export interface KafkaClient {
  /** A connected admin client. Close it when done. */
  admin(): Promise<KafkaAdminClient>;
  /** A connected publisher. Close it when done. */
  publisher(): Promise<KafkaPublisher>;
  /**
   * Every record in `topic` from the earliest offset up to the high watermark
   * at the time of the call, sorted by partition and offset. Commits nothing
   * and leaves no consumer group behind (it reads with a throwaway group
   * `sluice-read-<topic>-<random>` and deletes it). Not for transactional topics.
   */
  readTopic(topic: string, options?: { readonly timeoutMs?: number }): Promise<KafkaRecord[]>;
  /**
   * A consumer-group member, not connected yet: `start()` joins the group.
   * It calls `handlers` as batches arrive and the group rebalances.
   */
  consumer(options: KafkaConsumerOptions, handlers: KafkaConsumerHandlers): KafkaGroupConsumer;
}

/** How a {@link KafkaGroupConsumer} joins and fetches. */
export interface KafkaConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where partitions without a committed offset start: earliest (true) or latest. */
  readonly fromBeginning: boolean;
  readonly sessionTimeout: number;
  readonly heartbeatInterval: number;
  readonly rebalanceTimeout: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeInMs: number;
}

/** Records of one partition from one fetch, in offset order. */
export interface KafkaFetchedBatch {
  readonly topic: string;
  readonly partition: number;
  /** The partition's end offset when fetched. */
  readonly highWatermark: string;
  readonly records: readonly KafkaFetchedRecord[];
}

/**
 * A record as a client fetched it, in the client's own shape where it
 * fits (a kafkajs message does): the producer copies nothing per record
 * until it hands the record out as a message.
 */
export interface KafkaFetchedRecord {
  /** A decimal string. */
  readonly offset: string;
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  /** Milliseconds since the epoch, a decimal string. */
  readonly timestamp: string;
  /** Header values as fetched: a Buffer, a string, or several (the first is kept). */
  readonly headers?: Readonly<Record<string, RawHeaderValue>>;
}

/** A header value as a client may give it. */
export type RawHeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** A partition of a topic. */
export interface KafkaTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * What a {@link KafkaGroupConsumer} reports. The member owns exactly the
 * partitions of its last `onAssignment`; anything it owned before and is not
 * listed there was revoked.
 */
export interface KafkaConsumerHandlers {
  /** Records arrived. Must not block: buffer them and return. */
  onBatch(batch: KafkaFetchedBatch): void;
  /**
   * The group began to rebalance: any partition may be taken away. A client
   * with a revoke callback waits for the returned promise (the producer
   * bounds it) before it rejoins; kafkajs cannot wait and rejoins at once.
   */
  onRebalanceStart(): void | Promise<void>;
  /** The member (re)joined the group with these partitions, in a new generation. */
  onAssignment(generation: number, partitions: readonly KafkaTopicPartition[]): void;
  /** An error the consumer recovers from by itself (it reconnects and rejoins). */
  onError(error: unknown): void;
}

/** One member of a consumer group. Offsets are committed explicitly, never automatically. */
export interface KafkaGroupConsumer {
  /** Connects, subscribes and joins; resolves once it runs. Rejects with a `BrokerError`. */
  start(): Promise<void>;
  /** Stops fetching these partitions (records already fetched may still arrive). */
  pause(partitions: readonly KafkaTopicPartition[]): void;
  resume(partitions: readonly KafkaTopicPartition[]): void;
  /** Commits, as "next offset to read", in the member's current generation. */
  commit(
    offsets: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
    }[],
  ): Promise<void>;
  /** Leaves the group and disconnects. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Topic and consumer-group administration. */
export interface KafkaAdminClient {
  /** Resolves to false when every topic already existed. Waits for partition leaders. */
  createTopics(topics: readonly KafkaTopicSpec[]): Promise<boolean>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
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
  close(): Promise<void>;
}

/** Sends records. */
export interface KafkaPublisher {
  /** Resolves once the brokers acknowledged every record (acks=all). */
  send(topic: string, messages: readonly KafkaOutgoingMessage[]): Promise<KafkaRecordMetadata[]>;
  close(): Promise<void>;
}

/** A topic to create. */
export interface KafkaTopicSpec {
  readonly topic: string;
  /** @defaultValue the broker's `num.partitions` */
  readonly numPartitions?: number;
  /** @defaultValue the broker's `default.replication.factor` */
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

/** A record to send. Without `partition`, the key picks it (murmur2, as the Java client). */
export interface KafkaOutgoingMessage {
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  readonly partition?: number;
  /** Milliseconds since the epoch, as a string. */
  readonly timestamp?: string;
}

/** Where the records of one {@link KafkaPublisher.send} call landed, per partition. */
export interface KafkaRecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record written to this partition by the call. */
  readonly baseOffset: string;
}

/** A record read from a topic. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly timestamp: string;
}
