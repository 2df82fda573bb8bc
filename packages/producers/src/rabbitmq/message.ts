/**
 * A delivery as a pipeline {@link Message}: its data, its metadata, and
 * what its ack needs (the delivery, on `ackData`; its generation, as
 * `ackRef`).
 */
import { Message, type Acknowledger } from '@sluice/core';
import type { AckPolicy, FailurePolicy, RabbitMqMetadataField } from './options.ts';
import type { RabbitMqMessage, RabbitMqPublishOptions } from './client.ts';
import type { Generation } from './generation.ts';

/** `message.metadata` of a RabbitMQ message. */
export interface RabbitMqMetadata {
  /** The delivery tag on the channel it arrived on. */
  readonly deliveryTag: number;
  /** True when the broker delivered it before (requeued, or unacked when a channel closed). */
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The properties asked for with the `metadata` option. */
  readonly [property: string]: unknown;
}

/** `message.ackData`: the delivery and any per-message policy. */
export interface AckData {
  readonly delivery: RabbitMqMessage;
  readonly onSuccess?: AckPolicy;
  readonly onFailure?: FailurePolicy;
}

/** The delivery `d` of `generation` as a message, with the `fields` asked for in its metadata. */
export function toMessage(
  generation: Generation,
  d: RabbitMqMessage,
  fields: readonly RabbitMqMetadataField[],
  acknowledger: Acknowledger,
): Message {
  const metadata: Record<string, unknown> = {
    deliveryTag: d.deliveryTag,
    redelivered: d.redelivered,
    exchange: d.exchange,
    routingKey: d.routingKey,
    headers: d.headers,
  };
  for (const field of fields) {
    const value = d[field];
    if (value !== undefined) metadata[field] = value;
  }
  return new Message<Buffer, RabbitMqMetadata>({
    data: d.content,
    metadata: metadata as RabbitMqMetadata,
    id: d.messageId ?? `${generation.number}:${d.deliveryTag}`,
    acknowledger,
    ackRef: generation,
    ackData: { delivery: d } satisfies AckData,
  });
}

/**
 * The properties a copy of delivery `d` keeps when the producer publishes
 * it again (a retry, a dead letter): identity, content, priority, sender
 * and persistence; not its expiration or headers, which each caller sets.
 */
export function copiedProperties(d: RabbitMqMessage): RabbitMqPublishOptions {
  return {
    ...(d.messageId !== undefined && { messageId: d.messageId }),
    ...(d.correlationId !== undefined && { correlationId: d.correlationId }),
    ...(d.contentType !== undefined && { contentType: d.contentType }),
    ...(d.contentEncoding !== undefined && { contentEncoding: d.contentEncoding }),
    ...(d.timestamp !== undefined && { timestamp: d.timestamp }),
    ...(d.priority !== undefined && { priority: d.priority }),
    ...(d.type !== undefined && { type: d.type }),
    ...(d.appId !== undefined && { appId: d.appId }),
    ...(d.replyTo !== undefined && { replyTo: d.replyTo }),
    persistent: d.deliveryMode === 2,
  };
}

/** The delivery a message of this producer carries. */
export function deliveryOf(message: Message): RabbitMqMessage {
  return (message.ackData as AckData).delivery;
}
