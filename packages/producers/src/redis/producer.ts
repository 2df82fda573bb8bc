/**
 * `redisProducer`: a Redis stream, read through a consumer group, as a
 * pipeline's source. The pieces live in their own files: what a started
 * producer shares (run.ts), one instance (consumer.ts), its read loop
 * (reader.ts), acks (acker.ts), failures, retries and dead letters
 * (failures.ts, retries.ts), per-message ack options (ack-options.ts),
 * claims (claims.ts), heartbeats of held entries (holds.ts), reconnects
 * (reconnect.ts). docs/producers/redis.md is the user's guide.
 */
import { hostname } from 'node:os';
import {
  redactUrl,
  type PrepareContext,
  type ProducerContext,
  type ProducerModule,
} from '@sluice/core';
import { BrokerError, isBrokerError } from '../errors.ts';
import type { RedisClient } from './client.ts';
import { RedisConsumer } from './consumer.ts';
import { loadNodeRedis } from './node-redis-client.ts';
import {
  resolveRedisOptions,
  type RedisProducerOptions,
  type ResolvedRedisOptions,
} from './options.ts';
import type { RedisAckOptions } from './ack-options.ts';
import { openClient, RedisRun, type RedisFields, type RedisMetadata } from './run.ts';

/**
 * The Redis producer module: its messages are
 * `Message<RedisFields, RedisMetadata, RedisAckOptions>` (the entry's
 * fields, as strings).
 */
export type RedisProducerModule = ProducerModule<RedisFields, RedisMetadata, RedisAckOptions>;

/**
 * A producer that reads a Redis stream as one consumer group: XREADGROUP
 * against the pipeline's demand, XACK in batches on success, failed
 * entries claimed back after a backoff and dead-lettered to a stream after
 * `maxAttempts`, a dead consumer's entries claimed after `claimIdle`.
 *
 * @example
 * ```ts
 * createPipeline({
 *   name: 'orders',
 *   producer: { module: redisProducer({ url: 'redis://127.0.0.1:6379', stream: 'orders', group: 'billing' }) },
 *   processors: { default: { concurrency: 50 } },
 *   handleMessage: async (_p, message) => { await bill(message.data.order); return message; },
 * });
 * ```
 */
export function redisProducer(input: RedisProducerOptions): RedisProducerModule {
  const options = resolveRedisOptions(input);
  // Say now, not at start, when node-redis is missing.
  loadNodeRedis();
  const prefix = options.consumer ?? `${hostname()}-${process.pid}`;
  let run: RedisRun | undefined;

  return {
    async prepareForStart(context: PrepareContext) {
      const client = openClient(options, `sluice:${context.pipeline}`, context.logger);
      // The first instance's reading connection connects while the group is checked.
      const spare = client.duplicate();
      try {
        await checkGroup(client, options);
      } catch (error) {
        await Promise.all([client.close(), spare.close({ abandon: true })]);
        throw error;
      }
      const r = new RedisRun(options, client, context.logger, spare);
      run = r;
      return async () => {
        if (run === r) run = undefined;
        await r.close();
      };
    },

    init(context: ProducerContext) {
      // Without prepareForStart (a module driven by hand), open a run here;
      // the instance that opened it closes it when terminated.
      let own: RedisRun | undefined;
      if (run === undefined) {
        own = new RedisRun(
          options,
          openClient(options, `sluice:${context.pipeline}`, context.logger),
          context.logger,
        );
        run = own;
      }
      return new RedisConsumer(run, `${prefix}-${context.index}`, context, async () => {
        if (own !== undefined && run === own) {
          run = undefined;
          await own.close();
        }
      });
    },
  };
}

/** The same as {@link redisProducer}, named after what it reads. */
export const redisSource = redisProducer;

/** Creates the group (`createGroup`), or checks that it exists. */
async function checkGroup(client: RedisClient, options: ResolvedRedisOptions): Promise<void> {
  const { stream, group } = options;
  try {
    if (options.createGroup) {
      await client.createGroup(stream, group, options.groupStartId);
    } else if (!(await client.hasGroup(stream, group))) {
      throw new BrokerError(
        'ERR_QUEUE_NOT_FOUND',
        'redis',
        `redis producer cannot start: stream ${stream} has no consumer group ${group} (createGroup is false)`,
      );
    }
  } catch (error) {
    if (isBrokerError(error) && !error.message.startsWith('redis producer cannot start')) {
      throw new BrokerError(
        error.code,
        'redis',
        `redis producer cannot start (${redactUrl(options.url)}): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}
