/**
 * The RabbitMQ producer's telemetry: one `node:diagnostics_channel` channel
 * per event, named here and nowhere else. Publishers check `hasSubscribers`
 * first, so nobody listening costs one property read.
 * docs/producers/rabbitmq.md lists every channel and payload.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const rabbitmqChannels = {
  connectionOpen: 'sluice:rabbitmq:connection:open',
  connectionClose: 'sluice:rabbitmq:connection:close',
  connectionFailure: 'sluice:rabbitmq:connection:failure',
  reconnect: 'sluice:rabbitmq:reconnect',
  ack: 'sluice:rabbitmq:ack',
  reject: 'sluice:rabbitmq:reject',
  retry: 'sluice:rabbitmq:retry',
  deadLetter: 'sluice:rabbitmq:dead-letter',
  staleAcks: 'sluice:rabbitmq:stale-acks',
} as const;

/** Fields every RabbitMQ producer event carries. */
export interface RabbitMqEventBase {
  readonly pipeline: string;
  /** The producer instance. */
  readonly index: number;
  readonly queue: string;
}

/** A connection and its consuming channel are set up (`generation` counts them from 1). */
export interface RabbitMqConnectionOpenEvent extends RabbitMqEventBase {
  readonly generation: number;
  readonly connectionName: string;
}

/** The connection, its channel or its consumer ended; `reason` says how. */
export interface RabbitMqConnectionCloseEvent extends RabbitMqEventBase {
  readonly generation: number;
  /** `'closed'` when the producer closed it, else what the broker or socket said. */
  readonly reason: string;
  readonly error: Error | undefined;
}

/** Connecting (or setting up the channel) failed. */
export interface RabbitMqConnectionFailureEvent extends RabbitMqEventBase {
  /** The reconnect attempt that failed; 0 for the first connection at start. */
  readonly attempt: number;
  readonly reason: string;
  readonly error: unknown;
}

/** A reconnect is scheduled in `delayMs`. */
export interface RabbitMqReconnectEvent extends RabbitMqEventBase {
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** A basic.ack was sent, covering `count` deliveries. */
export interface RabbitMqAckEvent extends RabbitMqEventBase {
  readonly generation: number;
  readonly deliveryTag: number;
  readonly multiple: boolean;
  readonly count: number;
}

/** A basic.reject or basic.nack was sent; `requeue` says whether the messages go back. */
export interface RabbitMqRejectEvent extends RabbitMqAckEvent {
  readonly requeue: boolean;
}

/** A failed message was republished to the retry queue, to come back after `delayMs`. */
export interface RabbitMqRetryEvent extends RabbitMqEventBase {
  readonly messageId: string | number | undefined;
  /** Failed handlings so far, this one included. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly retryQueue: string;
}

/**
 * Failed messages were dead-lettered: published by the producer to
 * `exchange` with their reason and acked, or, when that publish failed
 * (`error` set), rejected so the broker dead-letters them without it.
 */
export interface RabbitMqDeadLetterEvent extends RabbitMqEventBase {
  readonly exchange: string;
  readonly count: number;
  /** Why the publish failed and the messages were rejected instead; undefined when published. */
  readonly error: Error | undefined;
}

/**
 * Settlements for deliveries of a channel that is gone were dropped (never
 * sent on another channel). The broker redelivers those messages.
 */
export interface RabbitMqStaleAcksEvent extends RabbitMqEventBase {
  /** The dead channel's generation. */
  readonly generation: number;
  /** The generation now consuming, or undefined while disconnected. */
  readonly currentGeneration: number | undefined;
  readonly count: number;
  /** Dropped by this producer instance so far. */
  readonly total: number;
}

/** @internal The channel objects. */
export const channels = {
  connectionOpen: diagnostics.channel(rabbitmqChannels.connectionOpen),
  connectionClose: diagnostics.channel(rabbitmqChannels.connectionClose),
  connectionFailure: diagnostics.channel(rabbitmqChannels.connectionFailure),
  reconnect: diagnostics.channel(rabbitmqChannels.reconnect),
  ack: diagnostics.channel(rabbitmqChannels.ack),
  reject: diagnostics.channel(rabbitmqChannels.reject),
  retry: diagnostics.channel(rabbitmqChannels.retry),
  deadLetter: diagnostics.channel(rabbitmqChannels.deadLetter),
  staleAcks: diagnostics.channel(rabbitmqChannels.staleAcks),
};
