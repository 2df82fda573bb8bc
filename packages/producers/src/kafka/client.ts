/**
 * The seam between the Kafka producer and a Kafka client library: what the
 * producer calls, and nothing else. `KafkaJsClient` implements it with
 * kafkajs; tests implement it in memory, and another library can replace
 * kafkajs without touching producer logic. Topic and group administration
 * and the test-only reads are a separate interface, `KafkaAdmin` in
 * admin.ts.
 *
 * The consumer-group API ({@link KafkaClient.consumer}) is what the
 * producer runs on: this is the place to add another client
 * (@platformatic/kafka, or Confluent's KafkaJS-compatible API on
 * librdkafka) beside kafkajs.
 *
 * Offsets are decimal strings, as on the wire (int64). Failures reject with a
 * `BrokerError` (`ERR_TOPIC_NOT_FOUND`, `ERR_BROKER_UNREACHABLE`,
 * `ERR_BROKER_REQUEST`).
 */

import type { KafkaGroupProtocol } from './membership.ts';
import type {
  KafkaTransactionalPublisher,
  KafkaTransactionalPublisherOptions,
} from './transactions.ts';

/** What the Kafka producer needs from a client library. */
export interface KafkaClient {
  /**
   * A connected client for cluster metadata: the producer checks at start
   * that its topics exist. Close it when done.
   */
  admin(): Promise<KafkaMetadataClient>;
  /**
   * A connected publisher (the dead-letter topic, a sink). Close it when
   * done. With `idempotent`, the brokers drop the duplicates a retried
   * send would make (one producer id, sequence numbers per partition).
   */
  publisher(options?: KafkaPublisherOptions): Promise<KafkaPublisher>;
  /**
   * A transactional producer (exactly-once sinks): records and the group's
   * offsets committed together or not at all. Optional: a client without
   * it cannot back `exactlyOnce`.
   */
  transactionalPublisher?(
    options: KafkaTransactionalPublisherOptions,
  ): Promise<KafkaTransactionalPublisher>;
  /**
   * A consumer-group member, not connected yet: `start()` joins the group.
   * It calls `handlers` as batches arrive and the group rebalances.
   */
  consumer(options: KafkaConsumerOptions, handlers: KafkaConsumerHandlers): KafkaGroupConsumer;
  /**
   * Checks before the producer starts that the brokers accept `protocol`
   * for `groupId`: an explicit `'consumer'` on brokers that refuse KIP-848
   * fails with `ERR_INVALID_OPTIONS` naming their refusal (each member
   * would otherwise be refused on every try to join). Absent on a client
   * that speaks only one protocol.
   */
  checkGroupProtocol?(groupId: string, protocol: KafkaGroupProtocol): Promise<void>;
}

/** Cluster metadata, from {@link KafkaClient.admin}. */
export interface KafkaMetadataClient {
  /** Names of the topics in the cluster. */
  listTopics(): Promise<string[]>;
  /**
   * Per partition of `topic`, sorted: its earliest and end offsets and
   * `groupId`'s committed offset (null where the group has committed none).
   * The producer polls it for backlog (lag = end − committed) while someone
   * listens.
   */
  fetchGroupOffsets(groupId: string, topic: string): Promise<KafkaGroupPartitionOffsets[]>;
  close(): Promise<void>;
}

/** One partition's offsets for a group, from {@link KafkaMetadataClient.fetchGroupOffsets}. */
export interface KafkaGroupPartitionOffsets {
  readonly partition: number;
  /** The earliest offset still in the log. */
  readonly low: string;
  /** The end offset: the next offset to be written. */
  readonly high: string;
  /** The group's committed offset (the next to read), or null. */
  readonly committed: string | null;
}

/** How a {@link KafkaGroupConsumer} joins and fetches. */
export interface KafkaConsumerOptions {
  readonly groupId: string;
  /** Static membership: this member's id across restarts; none for a dynamic member. */
  readonly groupInstanceId?: string | undefined;
  /** Which group protocol to speak; a client that has only the classic one ignores it. */
  readonly groupProtocol?: KafkaGroupProtocol;
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
  /**
   * Only these partitions are being taken away; the others stay and keep
   * going (KIP-848, cooperative). The producer stops handing them out,
   * waits for their in-flight messages (at most `revokeTimeout`) and
   * commits them; a client that can hold the revocation back awaits it.
   * An `onAssignment` without them follows.
   */
  onRevoke(partitions: readonly KafkaTopicPartition[]): Promise<void>;
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

/** How {@link KafkaClient.publisher} sends. */
export interface KafkaPublisherOptions {
  /** An idempotent producer (acks=all, retries without duplicates). @defaultValue false */
  readonly idempotent?: boolean;
  /** How often the client retries a failed send before rejecting it. @defaultValue the library's */
  readonly retries?: number;
}

/** Sends records. */
export interface KafkaPublisher {
  /** Resolves once the brokers acknowledged every record (acks=all). */
  send(topic: string, messages: readonly KafkaOutgoingMessage[]): Promise<KafkaRecordMetadata[]>;
  close(): Promise<void>;
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
