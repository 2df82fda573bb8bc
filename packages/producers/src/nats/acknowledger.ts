/**
 * Settles the pipeline's messages on the server: successes are acked
 * (plain acks flushed once per group, or confirmed acks), failures go
 * through the failure policy (failures.ts): `nak` with a delay, or, once
 * `maxAttempts` is spent, published to the dead-letter subject and `term`ed.
 * `message.configureAck({ onSuccess, onFailure })` changes that for one
 * message (ack-options.ts). Every settled message leaves the heartbeats.
 */
import { failureReason, type Acknowledger, type Logger, type Message } from '@sluice/core';
import type { Backoff } from '../internal/retry.ts';
import { checkNatsAckOptions, type NatsAckOptions } from './ack-options.ts';
import type { NatsClient, NatsMessage } from './client.ts';
import { deadLetterHeaders, describeReason, failureAction } from './failures.ts';
import type { Heartbeats } from './heartbeats.ts';
import { channels } from './telemetry.ts';

/** What a NATS message carries in `message.ackData`: the pulled message, and its own ack options. */
export interface NatsAckData extends NatsAckOptions {
  readonly message: NatsMessage;
}

/** What the acknowledger needs. */
export interface NatsAcknowledgerOptions {
  readonly client: NatsClient;
  readonly heartbeats: Heartbeats;
  readonly stream: string;
  readonly consumer: string;
  readonly maxAttempts: number;
  readonly retryBackoff: Backoff;
  readonly deadLetterSubject: string | undefined;
  readonly confirmAcks: boolean;
  readonly requestTimeout: number;
  readonly logger: Logger;
}

/** The acknowledger of every message one producer run emits. */
export class NatsAcknowledger implements Acknowledger {
  readonly #o: NatsAcknowledgerOptions;

  constructor(options: NatsAcknowledgerOptions) {
    this.#o = options;
  }

  configure(_ref: unknown, ackData: unknown, options: Readonly<Record<string, unknown>>) {
    return { ...(ackData as NatsAckData), ...checkNatsAckOptions(options) };
  }

  async ack(_ref: unknown, successful: Message[], failed: Message[]): Promise<void> {
    const work: Promise<void>[] = [];
    const toAck: NatsMessage[] = [];
    for (const m of successful) {
      const data = m.ackData as NatsAckData;
      if ((data.onSuccess ?? 'ack') === 'ack') toAck.push(data.message);
      // 'noop': left unacked, delivered again after ackWait.
      else this.#o.heartbeats.release(data.message);
    }
    for (const m of failed) {
      const data = m.ackData as NatsAckData;
      const onFailure = data.onFailure ?? 'retry';
      if (onFailure === 'ack') toAck.push(data.message);
      else work.push(this.#fail(data.message, failureReason(m.status), onFailure === 'deadLetter'));
    }
    if (toAck.length > 0) work.push(this.#ackAll(toAck));
    const outcomes = await Promise.allSettled(work);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
  }

  async #ackAll(messages: NatsMessage[]): Promise<void> {
    const { heartbeats, confirmAcks, requestTimeout } = this.#o;
    for (const m of messages) heartbeats.release(m);
    if (confirmAcks) {
      const results = await Promise.all(messages.map((m) => m.ackAck(requestTimeout)));
      const refused = results.filter((ok) => !ok).length;
      if (refused > 0) {
        this.#o.logger.warn(
          { stream: this.#o.stream, consumer: this.#o.consumer, refused },
          `JetStream did not confirm ${refused} acks; those messages will be redelivered after ackWait`,
        );
      }
    } else {
      for (const m of messages) m.ack();
      // One round trip for the whole group: once the server has answered
      // the ping, it has read every ack written before it.
      await this.#o.client.flush();
    }
    if (channels.ack.hasSubscribers) {
      channels.ack.publish({
        stream: this.#o.stream,
        consumer: this.#o.consumer,
        count: messages.length,
        confirmed: confirmAcks,
      });
    }
  }

  /** Naks `m` for a retry, or gives it up (at its last attempt, or `now`). */
  async #fail(m: NatsMessage, reason: unknown, now: boolean): Promise<void> {
    const { stream, consumer, heartbeats, deadLetterSubject, logger } = this.#o;
    heartbeats.release(m);
    const action = now
      ? ({ kind: 'give-up' } as const)
      : failureAction(m.deliveryCount, this.#o.maxAttempts, this.#o.retryBackoff);
    if (action.kind === 'nak') {
      m.nak(action.delayMs);
      if (channels.nak.hasSubscribers) {
        channels.nak.publish({
          stream,
          consumer,
          streamSequence: m.streamSequence,
          deliveryCount: m.deliveryCount,
          delayMs: action.delayMs,
        });
      }
      return;
    }
    let published = false;
    if (deadLetterSubject !== undefined) {
      try {
        await this.#o.client.publish(
          deadLetterSubject,
          m.data,
          deadLetterHeaders(m.headers, m, reason),
        );
        published = true;
      } catch (error) {
        // Not published: leave the message unsettled, so it is redelivered
        // after ackWait and given up again, rather than lost.
        logger.error(
          { err: error, stream, consumer, streamSequence: m.streamSequence, deadLetterSubject },
          `could not publish a failed message to ${deadLetterSubject}; it stays on the stream and will be redelivered`,
        );
        this.#publishDeadLetter(m, false);
        return;
      }
    }
    m.term(describeReason(reason));
    this.#publishDeadLetter(m, published);
  }

  #publishDeadLetter(m: NatsMessage, published: boolean): void {
    if (!channels.deadLetter.hasSubscribers) return;
    channels.deadLetter.publish({
      stream: this.#o.stream,
      consumer: this.#o.consumer,
      streamSequence: m.streamSequence,
      deliveryCount: m.deliveryCount,
      deadLetterSubject: this.#o.deadLetterSubject,
      published,
    });
  }
}
