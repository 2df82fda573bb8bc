/** A fetched Kafka record as a pipeline {@link Message}, and what its metadata holds. */
import { Message, type Acknowledger } from '@sluice/core';
import { toHeaders } from './headers.ts';
import type { Entry } from './partition-state.ts';

/** What a Kafka message's `metadata` holds. */
// A type, not an interface: it must be assignable to Message's Record<string, unknown>.
export type KafkaMessageMetadata = {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a decimal string. */
  readonly offset: string;
  readonly key: Buffer | null;
  /** Milliseconds since the epoch, a decimal string. */
  readonly timestamp: string;
  readonly headers: Readonly<Record<string, Buffer>>;
};

/** A halted partition, from `producer.halted()`. */
export interface HaltedPartition {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the message it halted on. */
  readonly offset: string;
  readonly reason: unknown;
}

/**
 * The message for buffered entry `e`: id `topic/partition/offset`, batch key
 * `topic/partition`, the entry as its ack data.
 */
export function toMessage(e: Entry, acknowledger: Acknowledger, ackRef: unknown): Message {
  const { record, state } = e;
  const metadata: KafkaMessageMetadata = {
    topic: state.topic,
    partition: state.partition,
    offset: record.offset,
    key: record.key ?? null,
    timestamp: record.timestamp,
    headers: toHeaders(record.headers),
  };
  return new Message({
    data: record.value,
    id: `${state.id}/${record.offset}`,
    acknowledger,
    ackRef,
    ackData: e,
    metadata,
  }).putBatchKey(state.id);
}
