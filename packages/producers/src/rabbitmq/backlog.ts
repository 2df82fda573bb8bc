/**
 * The RabbitMQ queue's backlog, polled while someone listens: `waiting` is
 * the queue's ready count (queue.declare-ok's message count, through
 * checkQueue on a channel of its own, so a failed check never closes the
 * consuming channel); `inFlight` is what this pipeline's consumers hold
 * unacked (AMQP reports no unacked count: other consumers' are not in it).
 * A `client` of your own needs `checkQueue` (the admin seam) for it.
 */
import type { PrepareContext } from '@sluice/core';
import { startBacklogPoller } from '../internal/backlog-poller.ts';
import type { RabbitMqAdminChannel } from './admin.ts';
import type { RabbitMqChannel, RabbitMqConnection } from './client.ts';

/** What the poller reads from the producer's consumers. */
export interface BacklogSource {
  /** A connection now open, or undefined while every consumer is disconnected. */
  connection(): RabbitMqConnection | undefined;
  /** Deliveries the consumers hold unsettled. */
  unacked(): number;
}

/** Polls `queue`'s backlog into `context.backlog`; returns the stop function. */
export function pollRabbitMqBacklog(
  queue: string,
  source: BacklogSource,
  context: PrepareContext,
  intervalMs?: number,
): () => void {
  const reporter = context.backlog;
  if (reporter === undefined) return () => undefined;
  let open: { connection: RabbitMqConnection; channel: Promise<RabbitMqChannel> } | undefined;
  const channelOn = (connection: RabbitMqConnection): Promise<RabbitMqChannel> => {
    if (open?.connection === connection) return open.channel;
    const mine = {
      connection,
      channel: connection.createChannel().then((channel) => {
        const forget = (): void => {
          if (open === mine) open = undefined;
        };
        channel.on('error', forget); // a failed check closes it: a new one next time
        channel.on('close', forget);
        return channel;
      }),
    };
    mine.channel.catch(() => {
      if (open === mine) open = undefined;
    });
    open = mine;
    return mine.channel;
  };
  const stop = startBacklogPoller({
    reporter,
    logger: context.logger,
    what: `RabbitMQ queue ${queue}`,
    ...(intervalMs !== undefined && { intervalMs }),
    async poll() {
      const connection = source.connection();
      if (connection === undefined) return [];
      const channel = (await channelOn(connection)) as Partial<RabbitMqAdminChannel>;
      // A client of your own may implement only the consumer seam: no backlog then.
      if (typeof channel.checkQueue !== 'function') return [];
      const info = await channel.checkQueue(queue);
      return [
        {
          broker: 'rabbitmq',
          destination: queue,
          waiting: info.messageCount,
          inFlight: source.unacked(),
          at: Date.now(),
        },
      ];
    },
  });
  return () => {
    stop();
    const last = open;
    open = undefined;
    void last?.channel.then((c) => c.close()).catch(() => undefined);
  };
}

/** The backlog source of a producer's consumers: the first open connection, and their unacked deliveries summed. */
export function backlogOf(
  consumers: Iterable<{ connection(): RabbitMqConnection | undefined; unsettled(): number }>,
): BacklogSource {
  return {
    connection() {
      for (const c of consumers) {
        const connection = c.connection();
        if (connection !== undefined) return connection;
      }
      return undefined;
    },
    unacked() {
      let n = 0;
      for (const c of consumers) n += c.unsettled();
      return n;
    },
  };
}
