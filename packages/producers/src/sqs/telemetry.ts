/**
 * The SQS producer's telemetry: one `node:diagnostics_channel` channel per
 * event, named here and nowhere else. Publishers check `hasSubscribers`
 * first, so nobody listening costs one property read. docs/producers/sqs.md
 * lists the channels and their payloads.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const sqsChannels = {
  receiveStart: 'sluice:sqs:receive:start',
  receiveStop: 'sluice:sqs:receive:stop',
  receiveException: 'sluice:sqs:receive:exception',
  delete: 'sluice:sqs:delete',
  visibility: 'sluice:sqs:visibility',
  deadLetter: 'sluice:sqs:dead-letter',
} as const;

/** Fields every SQS producer event carries. */
export interface SqsEventBase {
  /** The queue the producer reads. */
  readonly queueUrl: string;
}

/** A ReceiveMessage call is about to start (`receive:start`). */
export interface SqsReceiveStartEvent extends SqsEventBase {
  /** The producer instance's index. */
  readonly index: number;
  /** How many messages this call asks for (its share of the unmet demand). */
  readonly demand: number;
}

/** A ReceiveMessage call returned (`receive:stop`). */
export interface SqsReceiveStopEvent extends SqsReceiveStartEvent {
  /** How many messages it brought. */
  readonly count: number;
  readonly durationMs: number;
}

/** A ReceiveMessage call failed (`receive:exception`); the producer backs off for `retryInMs`. */
export interface SqsReceiveExceptionEvent extends SqsReceiveStartEvent {
  readonly error: unknown;
  readonly durationMs: number;
  readonly retryInMs: number;
}

/** An entry SQS refused for good, after any retries. */
export interface SqsEntryFailure {
  readonly messageId: string;
  readonly code: string;
  readonly message: string;
}

/** A batch of deletes settled (`delete`): `count` deleted, `failed` refused for good. */
export interface SqsDeleteEvent extends SqsEventBase {
  readonly count: number;
  readonly failed: readonly SqsEntryFailure[];
  /** How many calls it took, retries included. */
  readonly attempts: number;
}

/**
 * A batch of visibility changes settled (`visibility`): a heartbeat
 * extending in-flight messages, or `retry` postponing failed ones.
 */
export interface SqsVisibilityEvent extends SqsEventBase {
  readonly reason: 'heartbeat' | 'retry';
  readonly count: number;
  readonly failed: readonly SqsEntryFailure[];
  readonly attempts: number;
}

/** Failed messages were sent to the dead-letter queue (`dead-letter`); those sent are then deleted. */
export interface SqsDeadLetterEvent extends SqsEventBase {
  readonly deadLetterQueueUrl: string;
  readonly count: number;
  readonly failed: readonly SqsEntryFailure[];
}

/** The channels, as objects. Internal: subscribe by name with {@link sqsChannels}. */
export const channels = {
  receiveStart: diagnostics.channel(sqsChannels.receiveStart),
  receiveStop: diagnostics.channel(sqsChannels.receiveStop),
  receiveException: diagnostics.channel(sqsChannels.receiveException),
  delete: diagnostics.channel(sqsChannels.delete),
  visibility: diagnostics.channel(sqsChannels.visibility),
  deadLetter: diagnostics.channel(sqsChannels.deadLetter),
};
