/**
 * `RedisRun`: what one started Redis producer shares across its instances
 * (its `RedisConsumer`s): the connection acks, claims and dead-letters go
 * through, the XACK coalescer, the heartbeat of held entries and the
 * acknowledger. Each instance reads on
 * a connection of its own (see reader.ts). It lives from `prepareForStart`
 * (or the first `init`) to the pipeline's stop.
 */
import { Message, redactUrl, type Logger } from '@sluice/core';
import { redactedMessageOf } from '../internal/error-helpers.ts';
import { Acker } from './acker.ts';
import type { RedisAckOptions } from './ack-options.ts';
import type { DeliveredEntry } from './claims.ts';
import type { RedisClient } from './client.ts';
import { RedisAcknowledger, type RedisAckData } from './failures.ts';
import { Holds } from './holds.ts';
import { NodeRedisClient } from './node-redis-client.ts';
import type { ResolvedRedisOptions } from './options.ts';
import type { RetryQueue } from './retries.ts';
import { TimedRedisClient } from './timed-client.ts';

/** What an entry from Redis carries in `message.metadata`. */
// A type, not an interface, so it fits Message's `Record<string, unknown>` metadata.
export type RedisMetadata = {
  readonly stream: string;
  /** The entry's id, e.g. `1718000000000-0`. */
  readonly id: string;
  /** Deliveries of this entry so far, this one included (XPENDING's count). */
  readonly deliveryCount: number;
  /** The consumer it was delivered to. */
  readonly consumer: string;
};

/** The data of a message from Redis: the entry's fields, as strings. */
export type RedisFields = Readonly<Record<string, string>>;

/** What one producer run shares. */
export class RedisRun {
  readonly client: RedisClient;
  readonly acker: Acker;
  readonly holds: Holds;
  readonly acknowledger: RedisAcknowledger;
  readonly options: ResolvedRedisOptions;
  /** A reading connection opened ahead, for the first instance. */
  #spare: RedisClient | undefined;

  /** @param spare a connection made with `client.duplicate()` ahead of time, for the first reader */
  constructor(
    options: ResolvedRedisOptions,
    client: RedisClient,
    logger: Logger,
    spare?: RedisClient,
  ) {
    this.options = options;
    this.client = client;
    this.#spare = spare;
    const { stream, group } = options;
    this.acker = new Acker({
      client,
      stream,
      group,
      windowMs: options.ackWindowMs,
      batchSize: options.ackBatchSize,
      logger,
    });
    this.holds = new Holds({ client, stream, group, claimIdle: options.claimIdle, logger });
    this.acknowledger = new RedisAcknowledger({
      client,
      acker: this.acker,
      stream,
      group,
      deadLetterStream: deadLetterStreamOf(options),
      maxAttempts: options.maxAttempts,
      retryBackoff: options.retryBackoff,
      logger,
    });
  }

  /** A connection of its own for an instance's blocking reads: the spare one first. */
  readerConnection(): RedisClient {
    const spare = this.#spare;
    this.#spare = undefined;
    return spare ?? this.client.duplicate();
  }

  /** Entries `consumer` read or claimed, as pipeline messages held and acked through this run. */
  toMessages(
    entries: readonly DeliveredEntry[],
    consumer: string,
    retries: RetryQueue,
  ): Message<RedisFields, RedisMetadata, RedisAckOptions>[] {
    const lot = this.holds.hold(entries, consumer, retries);
    const { stream } = this.options;
    const messages = new Array<Message<RedisFields, RedisMetadata, RedisAckOptions>>(
      entries.length,
    );
    for (let index = 0; index < entries.length; index++) {
      const { id, fields, deliveryCount } = entries[index] as DeliveredEntry;
      messages[index] = new Message<RedisFields, RedisMetadata, RedisAckOptions>({
        data: fields,
        id,
        acknowledger: this.acknowledger,
        ackRef: this,
        ackData: { lot, index } satisfies RedisAckData,
        metadata: { stream, id, deliveryCount, consumer },
      });
    }
    return messages;
  }

  /** Stops the heartbeat, sends the acks still waiting, then closes the connection. */
  async close(): Promise<void> {
    await this.#spare?.close({ abandon: true });
    this.#spare = undefined;
    this.holds.stop();
    await this.acker.flush();
    await this.client.close();
  }
}

/** The dead-letter stream: the option, or `<stream>:dead-letter`. */
export function deadLetterStreamOf(options: ResolvedRedisOptions): string {
  return options.deadLetterStream ?? `${options.stream}:dead-letter`;
}

/**
 * The connection of a run: a {@link NodeRedisClient} on `url`, each call
 * bounded by `requestTimeout`; a lost connection is logged as a warning, and
 * its return, once per outage (calls made meanwhile wait for it).
 */
export function openClient(
  options: ResolvedRedisOptions,
  name: string,
  logger: Logger,
): RedisClient {
  const server = redactUrl(options.url);
  const io = new NodeRedisClient(options.url, {
    reconnectBackoff: options.reconnectBackoff,
    connectionName: name,
    onConnectionLost: (error) =>
      logger.warn(
        { err: error, codes: ['ERR_BROKER_CLOSED'] },
        `redis connection to ${server} lost (${redactedMessageOf(error, [options.url])}): reconnecting`,
      ),
    onReconnected: () => logger.info({}, `redis connection to ${server} is back`),
  });
  return new TimedRedisClient(io, options.requestTimeout);
}
