/**
 * The RabbitMQ sink: publishes each message on a confirm channel with
 * `mandatory`, and acks it only once the broker confirmed it. A message
 * the broker nacks, or returns because no queue is bound for its routing
 * key, fails alone; when the channel or connection closes, the messages
 * not yet confirmed fail, and the next batch opens a new connection.
 */
import type { Message } from '@sluice/core';
import { SinkError } from '../errors.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { payload } from '../internal/payload.ts';
import { failedWith, WRITTEN, type Sink, type SinkOutcome } from '../sink.ts';
import { openConfirmPublisher, type ConfirmPublisher } from './amqplib-publisher.ts';
import { parseRabbitMqSinkOptions, type RabbitMqSinkOptions } from './options.ts';

export {
  parseRabbitMqSinkOptions,
  rabbitMqSinkOptionsObject,
  type RabbitMqSinkOptions,
  type ResolvedRabbitMqSinkOptions,
} from './options.ts';
export type { ConfirmPublisher, PublishProperties } from './amqplib-publisher.ts';

/** What {@link rabbitMqSink} may be given instead of connecting with amqplib (tests). */
export interface RabbitMqSinkDependencies {
  readonly open?: (url: string) => Promise<ConfirmPublisher>;
}

/**
 * A sink that publishes every message to `exchange` with `routingKey`.
 *
 * @example
 * ```ts
 * const next = rabbitMqSink({ url: 'amqp://guest:guest@127.0.0.1:5672', routingKey: 'orders.enriched' });
 * // in createPipeline: handleBatch: sinkHandler(next)
 * ```
 */
export function rabbitMqSink(
  input: RabbitMqSinkOptions,
  dependencies: RabbitMqSinkDependencies = {},
): Sink {
  const options = parseRabbitMqSinkOptions(input);
  const where =
    options.exchange === '' ? `queue ${options.routingKey}` : `exchange ${options.exchange}`;
  const name = `RabbitMQ ${where}`;
  const destination = options.exchange === '' ? options.routingKey : options.exchange;
  const open = dependencies.open ?? openConfirmPublisher;
  let publisher: Promise<ConfirmPublisher> | undefined;
  const getPublisher = async (): Promise<ConfirmPublisher> => {
    const current = await publisher?.catch(() => undefined);
    if (current?.open === true) return current;
    if (current !== undefined) void current.close();
    publisher = open(options.url);
    return publisher;
  };

  const write = async (messages: readonly Message[]): Promise<readonly SinkOutcome[]> => {
    let p: ConfirmPublisher;
    try {
      p = await getPublisher();
    } catch (error) {
      const reason = new SinkError(
        'ERR_SINK_UNAVAILABLE',
        name,
        `could not connect (${(error as Error).message})`,
        { cause: error },
      );
      return messages.map(() => failedWith(reason));
    }
    const confirms: Promise<SinkOutcome>[] = [];
    for (const message of messages) {
      let content: Buffer;
      try {
        content = payload(message);
      } catch (error) {
        const reason = new SinkError('ERR_SINK_DATA', name, (error as Error).message, {
          cause: error,
        });
        confirms.push(Promise.resolve(failedWith(reason)));
        continue;
      }
      const headers = outgoingHeaders('rabbitmq', destination, message);
      confirms.push(
        p
          .publish(options.exchange, options.routingKey, content, {
            persistent: options.persistent,
            ...(options.contentType !== undefined && { contentType: options.contentType }),
            ...(headers !== undefined && { headers }),
          })
          .then(
            () => WRITTEN,
            (error: unknown) =>
              failedWith(
                new SinkError(
                  /unroutable|nack/.test((error as Error).message)
                    ? 'ERR_SINK_REFUSED'
                    : 'ERR_SINK_UNAVAILABLE',
                  name,
                  (error as Error).message,
                  { cause: error },
                ),
              ),
          ),
      );
      if (!p.writable) await p.drained();
    }
    return Promise.all(confirms);
  };

  return {
    name,
    write,
    probe: async () => {
      const p = await getPublisher();
      await p.check(options.exchange, options.routingKey);
    },
    close: async () => {
      const p = await publisher?.catch(() => undefined);
      publisher = undefined;
      await p?.close();
    },
  };
}
