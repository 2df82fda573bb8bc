/**
 * The Redis Streams producer's telemetry: one `node:diagnostics_channel`
 * channel per event, named here and nowhere else. Publishers check
 * `hasSubscribers` first, so nobody listening costs one property read.
 * docs/producers/redis.md lists the channels and their payloads.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const redisChannels = {
  readStart: 'sluice:redis:read:start',
  readStop: 'sluice:redis:read:stop',
  readException: 'sluice:redis:read:exception',
  ack: 'sluice:redis:ack',
  claim: 'sluice:redis:claim',
  retry: 'sluice:redis:retry',
  deadLetter: 'sluice:redis:dead-letter',
} as const;

/** Fields every Redis producer event carries. */
export interface RedisEventBase {
  readonly stream: string;
  readonly group: string;
}

/** An XREADGROUP is about to start (`read:start`). */
export interface RedisReadStartEvent extends RedisEventBase {
  readonly consumer: string;
  /** How many entries it asks for (COUNT). */
  readonly demand: number;
}

/** An XREADGROUP returned (`read:stop`). */
export interface RedisReadStopEvent extends RedisReadStartEvent {
  readonly count: number;
  readonly durationMs: number;
}

/** An XREADGROUP (or a claim) failed (`read:exception`); the instance waits `retryInMs`. */
export interface RedisReadExceptionEvent extends RedisReadStartEvent {
  readonly error: unknown;
  readonly retryInMs: number;
}

/** An XACK was confirmed (`ack`). */
export interface RedisAckEvent extends RedisEventBase {
  readonly count: number;
  /** Calls it took, the first included. */
  readonly attempts: number;
}

/** Entries were claimed (`claim`): `idle` ones from any consumer, or `retry` ones back after their backoff. */
export interface RedisClaimEvent extends RedisEventBase {
  readonly consumer: string;
  readonly reason: 'idle' | 'retry';
  readonly count: number;
}

/** Failed entries were left pending, to be claimed back after `delayMs` (`retry`). */
export interface RedisRetryEvent extends RedisEventBase {
  readonly ids: readonly string[];
  readonly delayMs: number;
}

/** Entries were added to the dead-letter stream and acked (`dead-letter`). */
export interface RedisDeadLetterEvent extends RedisEventBase {
  readonly deadLetterStream: string;
  readonly count: number;
}

/** The channels, as objects. Internal: subscribe by name with {@link redisChannels}. */
export const channels = {
  readStart: diagnostics.channel(redisChannels.readStart),
  readStop: diagnostics.channel(redisChannels.readStop),
  readException: diagnostics.channel(redisChannels.readException),
  ack: diagnostics.channel(redisChannels.ack),
  claim: diagnostics.channel(redisChannels.claim),
  retry: diagnostics.channel(redisChannels.retry),
  deadLetter: diagnostics.channel(redisChannels.deadLetter),
};
