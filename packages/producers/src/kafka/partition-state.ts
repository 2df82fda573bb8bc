/**
 * What a `KafkaConsumer` keeps per assigned partition, and per
 * buffered record: the pieces its helpers (commits, failures, assignment)
 * share.
 */
import type { KafkaFetchedRecord } from './client.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { PartitionQueue } from './partition-queue.ts';

/** One assigned partition. */
export interface PartitionState {
  /** `topic/partition`. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly tracker: OffsetTracker;
  /** Weighed in key and value bytes, for the byte bound. */
  readonly queue: PartitionQueue<Entry>;
  fetchPaused: boolean;
  halted: { entry: Entry; reason: unknown } | undefined;
  /** Being revoked: nothing more is handed out; its in-flight messages finish. */
  revoking: boolean;
  /** Acks that came after the partition was revoked, not yet reported. */
  late: number;
  /** Acks covered by a successful commit (the tracker's passedCount then). */
  confirmed: number;
}

/** One fetched record, from its fetch until it is done. */
export interface Entry {
  readonly state: PartitionState;
  readonly record: KafkaFetchedRecord;
  readonly offset: number;
  /** What it is ordered within: '' (the partition), or its key. */
  readonly unit: string;
  /** The processor it went to, in key mode (processor-slots.ts); 0 otherwise. */
  processor: number;
  /** Times it was handled and failed since it was fetched (or resumed). */
  attempts: number;
}

/** A partition's id: `topic/partition`. */
export const tp = (topic: string, partition: number): string => `${topic}/${partition}`;

/** A buffered record's key and value bytes. */
const entryBytes = (e: Entry): number =>
  (e.record.value?.length ?? 0) + (e.record.key?.length ?? 0);

/** A newly assigned partition, in `generation`. */
export function newPartitionState(
  topic: string,
  partition: number,
  generation: number,
  unitLimit: number,
): PartitionState {
  return {
    id: tp(topic, partition),
    topic,
    partition,
    tracker: new OffsetTracker(topic, partition, generation),
    queue: new PartitionQueue<Entry>(unitLimit, entryBytes),
    fetchPaused: false,
    halted: undefined,
    revoking: false,
    late: 0,
    confirmed: 0,
  };
}

/** The partition as the client names it. */
export const topicPartition = (s: PartitionState) => ({
  topic: s.topic,
  partition: s.partition,
});
