/**
 * Opening one {@link Generation}: connect, open the channel, run
 * `afterConnect`, set qos, declare the queue and the retry queue, bind,
 * consume. All of it is bounded by `connection.timeout`; a connection that
 * arrives after the timeout, or after the producer began to stop, is closed.
 */
import { redactUrl } from '@sluice/core';
import { BrokerError } from '../errors.ts';
import type { RabbitMqClient, RabbitMqMessage } from './client.ts';
import { Generation, type GenerationSink } from './generation.ts';
import type { ResolvedRabbitMqOptions } from './options.ts';

/** What {@link openGeneration} needs from its producer instance. */
export interface OpenParams {
  readonly options: ResolvedRabbitMqOptions;
  readonly client: RabbitMqClient;
  readonly connectionName: string;
  readonly prefetch: number;
  /** The new generation's number. */
  readonly number: number;
  readonly sink: GenerationSink;
  onDelivery(generation: Generation, delivery: RabbitMqMessage | null): void;
  /** The generation's connection or channel closed. */
  onLost(generation: Generation, reason: string, error: Error | undefined): void;
  /** True once the producer instance no longer wants a connection (draining, closed). */
  stopping(): boolean;
  /** True while the pipeline is paused: the channel opens without a consumer. */
  paused(): boolean;
}

/**
 * Opens and sets up one generation. Resolves to it, ready, or to undefined
 * when it was abandoned (the timeout fired first, or the producer is
 * stopping); rejects with the cause when a step failed or the timeout fired.
 */
export async function openGeneration(p: OpenParams): Promise<Generation | undefined> {
  const o = p.options;
  const timeoutMs = o.connection.timeout;
  let timer: NodeJS.Timeout | undefined;
  let abandoned = false;
  let opened: { close(): Promise<void> } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned = true;
      void opened?.close().catch(() => undefined);
      reject(
        new BrokerError(
          'ERR_BROKER_UNREACHABLE',
          'rabbitmq',
          `RabbitMQ at ${redactUrl(o.url)} did not accept the connection and consumer for queue ${o.queue} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
  });
  const setup = async (): Promise<Generation | undefined> => {
    const connection = await p.client.connect(withHeartbeat(o.url, o.connection.heartbeat), {
      connectionName: p.connectionName,
    });
    opened = connection;
    if (abandoned) {
      await connection.close().catch(() => undefined);
      return undefined;
    }
    let generation: Generation | undefined;
    try {
      const channel = await connection.createChannel({ confirm: o.retry !== undefined });
      const g = new Generation(p.number, connection, channel, p.sink);
      generation = g;
      connection.on('close', (error?: Error) =>
        p.onLost(g, error ? `connection closed: ${error.message}` : 'connection closed', error),
      );
      channel.on('close', () => p.onLost(g, 'channel closed', undefined));
      await o.afterConnect?.(channel);
      await channel.prefetch(p.prefetch);
      if (o.declare) {
        await channel.assertQueue(o.queue, {
          durable: o.declare.durable,
          exclusive: o.declare.exclusive,
          autoDelete: o.declare.autoDelete,
          ...(o.declare.arguments && { arguments: o.declare.arguments }),
        });
      }
      if (o.retry) {
        await channel.assertQueue(o.retry.queue, {
          durable: true,
          arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': o.queue },
        });
      }
      for (const b of o.bindings) {
        await channel.bindQueue(o.queue, b.exchange, b.routingKey, b.arguments);
      }
      if (!p.paused()) await consumeOn(g, o, (gen, delivery) => p.onDelivery(gen, delivery));
    } catch (error) {
      generation?.kill();
      await connection.close().catch(() => undefined);
      throw error;
    }
    if (abandoned || generation.dead || p.stopping()) {
      generation.kill();
      await connection.close().catch(() => undefined);
      return undefined;
    }
    generation.ready = true;
    return generation;
  };
  try {
    return await Promise.race([setup(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the generation's consumer of the queue, with the consume options,
 * and records its tag: at connect, and again after a pause or a prefetch
 * change (basic.qos applies to consumers started after it).
 */
export async function consumeOn(
  g: Generation,
  o: ResolvedRabbitMqOptions,
  onDelivery: (g: Generation, delivery: RabbitMqMessage | null) => void,
): Promise<void> {
  const consume = o.consumeOptions;
  const { consumerTag } = await g.channel.consume(o.queue, (delivery) => onDelivery(g, delivery), {
    noAck: consume.noAck,
    exclusive: consume.exclusive,
    ...(consume.consumerTag !== undefined && { consumerTag: consume.consumerTag }),
    ...(consume.arguments && { arguments: consume.arguments }),
  });
  g.consumerTag = consumerTag;
}

/** `url` with `heartbeat=<s>` in its query, unless the URL already sets one. */
export function withHeartbeat(url: string, heartbeat: number | undefined): string {
  if (heartbeat === undefined || /[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${heartbeat}`;
}
