/**
 * `rabbitmqProducer`: consumes a RabbitMQ queue into a pipeline. The
 * options are validated here, once; each producer instance is a
 * {@link RabbitMqConsumer} with its own connection and channel.
 */
import type { ProducerContext, ProducerInstance, ProducerModule } from '@sluice/core';
import { loadAmqplib } from './amqplib-client.ts';
import { backlogOf, pollRabbitMqBacklog } from './backlog.ts';
import { RabbitMqConsumer, type RabbitMqProducerStats } from './consumer.ts';
import type { RabbitMqMetadata } from './message.ts';
import {
  resolveOptions,
  type AckPolicy,
  type FailurePolicy,
  type RabbitMqProducerOptions,
} from './options.ts';
import { defaultPrefetch, tuningWarnings } from './tuning.ts';

/**
 * What `message.configureAck` takes for a RabbitMQ message: this message's
 * `onSuccess` and/or `onFailure`, overriding the producer's. Checked at run
 * time too (`onFailure: 'retry'` needs the producer's `retry` option).
 */
export type RabbitMqAckOptions = {
  readonly onSuccess?: AckPolicy;
  readonly onFailure?: FailurePolicy;
};

/**
 * A RabbitMQ producer module, with counters for monitoring and tests. Its
 * messages are `Message<Buffer, RabbitMqMetadata, RabbitMqAckOptions>`:
 * the body as received.
 */
export interface RabbitMqProducer extends ProducerModule<
  Buffer,
  RabbitMqMetadata,
  RabbitMqAckOptions
> {
  /** Counters summed over the producer's instances, since it was created. */
  stats(): Readonly<RabbitMqProducerStats>;
}

/**
 * A producer that consumes `queue` with basic.consume. The broker pushes up
 * to `prefetch` unacknowledged messages per instance; the producer holds them
 * until processors ask, acks successes (coalesced with `multiple`), applies
 * `onFailure` to failures (`'reject'` by default: dead-lettered when the
 * queue has a dead-letter exchange), and reconnects with backoff when the
 * connection, the channel or the consumer is lost. At-least-once: see
 * docs/producers/rabbitmq.md for where duplicates come from.
 *
 * Throws `ERR_INVALID_OPTIONS` at once for bad options (a missing `url`
 * included, when `AMQP_URL` is not set either), and `ERR_MISSING_LIBRARY`
 * when no `client` is given and amqplib is not installed; `pipeline.start()`
 * rejects when the broker cannot be reached or the queue cannot be consumed.
 *
 * @example
 * ```ts
 * const pipeline = createPipeline({
 *   name: 'orders',
 *   producer: { module: rabbitmqProducer({ queue: 'orders', prefetch: 200 }) },
 *   processors: { default: { concurrency: 50 } },
 *   async handleMessage(_p, message) {
 *     await save(JSON.parse(message.data.toString()));
 *     return message;
 *   },
 * });
 * ```
 */
export function rabbitmqProducer(options: RabbitMqProducerOptions): RabbitMqProducer {
  const o = resolveOptions(options);
  if (o.client === undefined) loadAmqplib(); // fail now, not at start
  const stats: RabbitMqProducerStats = {
    deliveries: 0,
    emitted: 0,
    staleAcks: 0,
    reconnects: 0,
    released: 0,
    retried: 0,
    deadLettered: 0,
    deadLetterFallbacks: 0,
  };
  const consumers = new Set<RabbitMqConsumer>();
  return {
    stats: () => ({ ...stats }),
    // Channels close only after the whole pipeline stopped, so that messages
    // still in processors or batchers when the producers stop can be acked.
    prepareForStart: (context) => {
      const stopBacklog = pollRabbitMqBacklog(o.queue, backlogOf(consumers), context);
      return async () => {
        stopBacklog();
        const closing = [...consumers].map((c) => c.close());
        consumers.clear();
        await Promise.all(closing);
      };
    },
    async init(context: ProducerContext): Promise<ProducerInstance> {
      const prefetch = o.prefetch ?? defaultPrefetch(context.definition);
      if (context.index === 0) {
        for (const w of tuningWarnings(context.definition, prefetch, o.consumerTimeout)) {
          context.logger.warn({ code: w.code, queue: o.queue, ...w.details }, w.message);
        }
      }
      const consumer = new RabbitMqConsumer(o, context, prefetch, stats);
      consumers.add(consumer);
      await consumer.start();
      return {
        handleDemand: (demand) => consumer.handleDemand(demand),
        prepareForDraining: () => consumer.prepareForDraining(),
        terminate: () => consumer.terminate(),
        unconfirmed: () => consumer.unconfirmed(),
        connected: () => consumer.connected(),
        pause: () => consumer.pause(),
        resume: () => consumer.resume(),
        // The default prefetch follows what the pipeline can hold; one the
        // user set stays as it is.
        resized: (definition) =>
          o.prefetch === undefined ? consumer.setPrefetch(defaultPrefetch(definition)) : undefined,
      };
    },
  };
}

/**
 * {@link rabbitmqProducer} under the name most Node.js tools use: it is a
 * *source* that consumes the queue. "Producer" is Broadway's word (it
 * produces messages for the pipeline), not an AMQP publisher; both names
 * are the same function.
 */
export const rabbitmqSource = rabbitmqProducer;
