/**
 * The NATS producer's telemetry: one `node:diagnostics_channel` channel per
 * event, named here and nowhere else. Publishers check `hasSubscribers`
 * first. docs/producers/nats.md lists the channels and their payloads.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const natsChannels = {
  fetchStart: 'sluice:nats:fetch:start',
  fetchStop: 'sluice:nats:fetch:stop',
  fetchException: 'sluice:nats:fetch:exception',
  ack: 'sluice:nats:ack',
  nak: 'sluice:nats:nak',
  deadLetter: 'sluice:nats:dead-letter',
  working: 'sluice:nats:working',
} as const;

/** Fields every NATS producer event carries. */
export interface NatsEventBase {
  readonly stream: string;
  readonly consumer: string;
}

/** A pull is about to start (`fetch:start`). */
export interface NatsFetchStartEvent extends NatsEventBase {
  /** The producer instance's index. */
  readonly index: number;
  /** How many messages it asks for. */
  readonly demand: number;
}

/** A pull ended (`fetch:stop`). */
export interface NatsFetchStopEvent extends NatsFetchStartEvent {
  readonly count: number;
  readonly durationMs: number;
}

/** A pull failed (`fetch:exception`); the instance retries after `retryInMs`. */
export interface NatsFetchExceptionEvent extends NatsFetchStartEvent {
  readonly error: unknown;
  readonly retryInMs: number;
}

/** Successful messages were acked (`ack`). */
export interface NatsAckEvent extends NatsEventBase {
  readonly count: number;
  readonly confirmed: boolean;
}

/** A failed message was `nak`ed for a retry (`nak`). */
export interface NatsNakEvent extends NatsEventBase {
  readonly streamSequence: number;
  readonly deliveryCount: number;
  readonly delayMs: number;
}

/** A message was given up (`dead-letter`): `published` when it went to `deadLetterSubject`. */
export interface NatsDeadLetterEvent extends NatsEventBase {
  readonly streamSequence: number;
  readonly deliveryCount: number;
  readonly deadLetterSubject: string | undefined;
  readonly published: boolean;
}

/** The heartbeat sent `working()` for `count` held messages (`working`). */
export interface NatsWorkingEvent extends NatsEventBase {
  readonly count: number;
}

/** The channels, as objects. Internal: subscribe by name with {@link natsChannels}. */
export const channels = {
  fetchStart: diagnostics.channel(natsChannels.fetchStart),
  fetchStop: diagnostics.channel(natsChannels.fetchStop),
  fetchException: diagnostics.channel(natsChannels.fetchException),
  ack: diagnostics.channel(natsChannels.ack),
  nak: diagnostics.channel(natsChannels.nak),
  deadLetter: diagnostics.channel(natsChannels.deadLetter),
  working: diagnostics.channel(natsChannels.working),
};
