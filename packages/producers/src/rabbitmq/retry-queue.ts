/**
 * Delayed retries through a retry queue: a failed message is republished to
 * it with a per-message TTL (`expiration`) and its failure count in
 * {@link ATTEMPTS_HEADER}; when the TTL runs out, the retry queue's
 * dead-letter route (the default exchange, routing key: the consumed queue)
 * brings it back. The original is acked once the broker confirmed the copy.
 */
import type { Message } from '@sluice/core';
import { ATTEMPTS_HEADER } from './ack-policy.ts';
import type { RabbitMqChannel } from './client.ts';
import { copiedProperties, deliveryOf } from './message.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';

/** One failed message to republish: its `attempt`-th failure, back after `delayMs`. */
export interface Retry {
  readonly message: Message;
  readonly attempt: number;
  readonly delayMs: number;
}

/** Publishes a copy of the retry's delivery to `retryQueue`, keeping its properties and headers. */
export function republish(channel: RabbitMqChannel, retryQueue: string, retry: Retry): void {
  const d = deliveryOf(retry.message);
  channel.sendToQueue(retryQueue, d.content, {
    ...copiedProperties(d),
    expiration: retry.delayMs,
    headers: {
      ...d.headers,
      ...outgoingHeaders('rabbitmq', retryQueue, 'retry', retry.message.ackData),
      [ATTEMPTS_HEADER]: retry.attempt,
    },
  });
}
