/**
 * The Kafka producer's telemetry: one `node:diagnostics_channel` channel per
 * event, named here and nowhere else. Publishers check `hasSubscribers`
 * first. docs/producers/kafka.md lists every channel and payload.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const kafkaChannels = {
  fetch: 'sluice:kafka:fetch',
  lag: 'sluice:kafka:lag',
  commit: 'sluice:kafka:commit',
  commitError: 'sluice:kafka:commit:error',
  rebalance: 'sluice:kafka:rebalance',
  pause: 'sluice:kafka:pause',
  resume: 'sluice:kafka:resume',
  retry: 'sluice:kafka:retry',
  dlq: 'sluice:kafka:dlq',
  halt: 'sluice:kafka:halt',
  lateAck: 'sluice:kafka:late-ack',
  error: 'sluice:kafka:error',
} as const;

/** Fields every Kafka event carries. */
export interface KafkaEventBase {
  readonly pipeline: string;
  readonly groupId: string;
  /** The producer instance (group member) index. */
  readonly index: number;
}

/** A partition's messages arrived from a fetch. */
export interface KafkaFetchEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly count: number;
  /** Messages of this partition now buffered. */
  readonly buffered: number;
}

/** How far behind the end of the partition this member is, after a fetch. */
export interface KafkaLagEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  /** highWatermark − (last fetched offset + 1). */
  readonly lag: number;
  readonly highWatermark: string;
}

/** Offsets were committed (or a commit failed, with `error`). */
export interface KafkaCommitEvent extends KafkaEventBase {
  readonly offsets: readonly { topic: string; partition: number; offset: string }[];
  readonly reason: 'interval' | 'rebalance' | 'drain' | 'stop';
  readonly durationMs: number;
  readonly error?: unknown;
}

/** A rebalance began (`start`), or ended with partitions `assigned` and `revoked`. */
export interface KafkaRebalanceEvent extends KafkaEventBase {
  readonly phase: 'start' | 'assigned' | 'revoked';
  readonly generation: number;
  readonly partitions: readonly { topic: string; partition: number }[];
  /** ms since the rebalance began (0 for `start`). */
  readonly durationMs: number;
  /** For `revoked`: buffered messages dropped and in-flight messages left behind. */
  readonly dropped?: number;
  readonly inFlight?: number;
}

/** Fetching of a partition paused (buffer full, halted) or resumed. */
export interface KafkaPauseEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly reason: 'buffer-full' | 'halted' | 'buffer-drained' | 'resumed';
  readonly buffered: number;
}

/** A failed message will be retried after `delayMs`. */
export interface KafkaRetryEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** A failed message was produced to the dead-letter topic (or that failed, with `error`). */
export interface KafkaDlqEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly dlqTopic: string;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** A partition halted on a failed message; nothing past it is committed until resume. */
export interface KafkaHaltEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: unknown;
}

/** Acks for a partition this member no longer owns were dropped: the new owner gets those messages again. */
export interface KafkaLateAckEvent extends KafkaEventBase {
  readonly topic: string;
  readonly partition: number;
  readonly count: number;
}

/** The client reported an error (connection lost, group error); it reconnects by itself. */
export interface KafkaErrorEvent extends KafkaEventBase {
  readonly error: unknown;
}

export const channels = {
  fetch: diagnostics.channel(kafkaChannels.fetch),
  lag: diagnostics.channel(kafkaChannels.lag),
  commit: diagnostics.channel(kafkaChannels.commit),
  commitError: diagnostics.channel(kafkaChannels.commitError),
  rebalance: diagnostics.channel(kafkaChannels.rebalance),
  pause: diagnostics.channel(kafkaChannels.pause),
  resume: diagnostics.channel(kafkaChannels.resume),
  retry: diagnostics.channel(kafkaChannels.retry),
  dlq: diagnostics.channel(kafkaChannels.dlq),
  halt: diagnostics.channel(kafkaChannels.halt),
  lateAck: diagnostics.channel(kafkaChannels.lateAck),
  error: diagnostics.channel(kafkaChannels.error),
};

/** Publishes that fetching of a partition paused or resumed, and why. */
export function publishPause(
  channel: typeof channels.pause,
  base: KafkaEventBase,
  s: { readonly topic: string; readonly partition: number; readonly queue: { buffered: number } },
  reason: KafkaPauseEvent['reason'],
): void {
  if (!channel.hasSubscribers) return;
  channel.publish({
    ...base,
    topic: s.topic,
    partition: s.partition,
    reason,
    buffered: s.queue.buffered,
  } satisfies KafkaPauseEvent);
}
