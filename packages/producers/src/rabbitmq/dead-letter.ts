/**
 * Dead letters that say why. A basic.reject cannot add headers, so when the
 * queue's dead-letter exchange is known, the producer publishes a message
 * that failed for good to that exchange itself: its body, properties and
 * headers, plus the failure reason, the handlings counted and the source
 * queue. The publish goes through a confirm channel of its own on the
 * generation's connection (a refused publish closes that channel, never the
 * consuming one); the original is acked only after the broker confirmed the
 * copy. When the publish fails or is nacked, the caller rejects the original
 * instead, and the broker dead-letters it as before (with `x-death` only).
 */
import { inspect } from 'node:util';
import type { Message } from '@sluice/core';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { ATTEMPTS_HEADER, failuresOf } from './ack-policy.ts';
import type { RabbitMqChannel, RabbitMqConnection, RabbitMqPublishOptions } from './client.ts';
import { copiedProperties, deliveryOf } from './message.ts';

/** The header with why the message failed, as the SQS, Kafka, Redis and NATS producers write it. */
export const FAILURE_REASON_HEADER = 'sluice-failure-reason';
/** The header with how many times Sluice handled the message, this last failure included. */
export const DEAD_LETTER_ATTEMPTS_HEADER = 'sluice-attempts';
/** The header with the queue the message was consumed from (a replay's destination). */
export const SOURCE_QUEUE_HEADER = 'sluice-source-queue';

/** The longest reason written, in characters. */
const MAX_REASON_LENGTH = 1000;

/** Where dead letters go: an exchange, and a routing key unless each message's own. */
export interface DeadLetterTarget {
  readonly exchange: string;
  readonly routingKey: string | undefined;
}

/** One line saying why: an error's name and message, a string, or the value inspected. */
export function describeReason(reason: unknown): string {
  const text =
    reason instanceof Error
      ? `${reason.name}: ${reason.message}`
      : typeof reason === 'string'
        ? reason
        : inspect(reason, { depth: 2, breakLength: Infinity });
  const line = (text === '' || reason === undefined ? 'failed' : text).replace(/[\r\n]+/g, ' ');
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}

/**
 * The routing key and publish options of `message`'s dead letter, from
 * `queue`, failed for `reason`. As the broker's dead-lettering does, the
 * per-message TTL (`expiration`) is left out, so the dead letter does not
 * expire in the dead-letter queue.
 */
export function deadLetterCopy(
  message: Message,
  queue: string,
  target: DeadLetterTarget,
  reason: unknown,
): { routingKey: string; options: RabbitMqPublishOptions } {
  const d = deliveryOf(message);
  const headers: Record<string, unknown> = { ...d.headers };
  delete headers[ATTEMPTS_HEADER];
  Object.assign(
    headers,
    outgoingHeaders('rabbitmq', target.exchange, 'dead-letter', message.ackData),
  );
  headers[FAILURE_REASON_HEADER] = describeReason(reason);
  headers[DEAD_LETTER_ATTEMPTS_HEADER] = failuresOf(d.headers) + 1;
  headers[SOURCE_QUEUE_HEADER] = queue;
  return {
    routingKey: target.routingKey ?? d.routingKey,
    options: {
      ...copiedProperties(d),
      headers,
    },
  };
}

/**
 * The dead-letter confirm channel of one connection: opened on first use,
 * opened again after it closed (a refused publish closes it).
 */
export class DeadLetterChannel {
  readonly #connection: RabbitMqConnection;
  #channel: Promise<RabbitMqChannel> | undefined;

  constructor(connection: RabbitMqConnection) {
    this.#connection = connection;
  }

  /**
   * Publishes each copy and resolves once the broker confirmed them all;
   * rejects when a publish is refused, nacked, or the channel is gone.
   */
  async publishAll(
    target: DeadLetterTarget,
    copies: readonly { content: Buffer; routingKey: string; options: RabbitMqPublishOptions }[],
  ): Promise<void> {
    const opening = (this.#channel ??= this.#open());
    let channel: RabbitMqChannel;
    try {
      channel = await opening;
    } catch (error) {
      if (this.#channel === opening) this.#channel = undefined;
      throw error;
    }
    for (const copy of copies) {
      channel.publish(target.exchange, copy.routingKey, copy.content, copy.options);
    }
    await channel.waitForConfirms();
  }

  /** Closes the channel, if open. */
  async close(): Promise<void> {
    const opening = this.#channel;
    this.#channel = undefined;
    if (opening === undefined) return;
    await opening.then((c) => c.close()).catch(() => undefined);
  }

  async #open(): Promise<RabbitMqChannel> {
    const channel = await this.#connection.createChannel({ confirm: true });
    const opened = this.#channel;
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.#channel === opened) this.#channel = undefined;
    });
    return channel;
  }
}
