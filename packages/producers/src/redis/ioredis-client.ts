/**
 * `IoRedisClient`: the {@link RedisClient} seam over `ioredis`, an optional
 * peer dependency loaded on first use. A lost connection is reconnected by
 * ioredis on the producer's `reconnectBackoff` (jittered, doubling); calls
 * made meanwhile wait for it, bounded by the producer's `requestTimeout`.
 */
import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';
import { redactUrl } from '@sluice/core';
import { BrokerError, type BrokerErrorCode } from '../errors.ts';
import { isNetworkError, redactedMessageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type {
  RedisAutoClaim,
  RedisClient,
  RedisEntry,
  RedisPendingEntry,
  RedisReadGroup,
} from './client.ts';

/** The ioredis versions the adapter is written for. */
export const IOREDIS_RANGE = '^6.1.0';

/** Loads `ioredis`, or throws `ERR_MISSING_LIBRARY` naming the install command. */
export function loadIoRedis(): typeof IoRedis {
  return loadLibrary<typeof IoRedis>('ioredis', IOREDIS_RANGE, 'redis');
}

/** Options of {@link IoRedisClient}. */
export interface IoRedisClientOptions {
  /** Between reconnect attempts: jittered, doubling. @defaultValue `{ initial: 100, max: 5000 }` */
  readonly reconnectBackoff?: Backoff;
  /** CLIENT SETNAME, shown by CLIENT LIST. */
  readonly connectionName?: string;
}

/** A {@link RedisClient} on one ioredis connection. */
export class IoRedisClient implements RedisClient {
  readonly #url: string;
  readonly #options: IoRedisClientOptions;
  readonly #redis: Redis;

  /** Connects to `url` (`redis://`, or `rediss://` for TLS) at once, in the background. */
  constructor(url: string, options: IoRedisClientOptions = {}) {
    const { Redis } = loadIoRedis();
    this.#url = url;
    this.#options = options;
    const backoff = options.reconnectBackoff ?? { initial: 100, max: 5000 };
    this.#redis = new Redis(url, {
      // Calls wait for a reconnect; the producer bounds each by requestTimeout.
      maxRetriesPerRequest: null,
      ...(options.connectionName !== undefined && { connectionName: options.connectionName }),
      retryStrategy: (times) => jitteredDelay(times, backoff),
    });
    // Connection errors are reported through the calls that fail; without
    // a listener ioredis would print each reconnect failure.
    this.#redis.on('error', () => undefined);
  }

  /** The ioredis connection, e.g. for calls the seam does not cover. */
  get redis(): Redis {
    return this.#redis;
  }

  async readGroup(a: RedisReadGroup): Promise<RedisEntry[]> {
    const reply = await this.#call(
      `XREADGROUP on ${a.stream}`,
      'XREADGROUP',
      'GROUP',
      a.group,
      a.consumer,
      'COUNT',
      a.count,
      'BLOCK',
      a.block,
      'STREAMS',
      a.stream,
      '>',
    );
    if (reply === null) return [];
    const streams = reply as [string, RawEntry[]][];
    return streams.flatMap(([, entries]) => toEntries(entries));
  }

  async ack(stream: string, group: string, ids: readonly string[]): Promise<number> {
    return Number(await this.#call(`XACK on ${stream}`, 'XACK', stream, group, ...ids));
  }

  async claim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<RedisEntry[]> {
    const reply = await this.#call(
      `XCLAIM on ${stream}`,
      'XCLAIM',
      stream,
      group,
      consumer,
      Math.round(minIdle),
      ...ids,
    );
    return toEntries(reply as RawEntry[]);
  }

  async autoClaim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<RedisAutoClaim> {
    const reply = (await this.#call(
      `XAUTOCLAIM on ${stream}`,
      'XAUTOCLAIM',
      stream,
      group,
      consumer,
      Math.round(minIdle),
      cursor,
      'COUNT',
      count,
    )) as [string, RawEntry[], ...unknown[]];
    return { cursor: reply[0], entries: toEntries(reply[1]) };
  }

  async pending(
    stream: string,
    group: string,
    start: string,
    end: string,
    count: number,
    consumer: string,
  ): Promise<RedisPendingEntry[]> {
    const reply = (await this.#call(
      `XPENDING on ${stream}`,
      'XPENDING',
      stream,
      group,
      start,
      end,
      count,
      consumer,
    )) as [string, string, number, number][];
    return reply.map(([id, consumer, , deliveryCount]) => ({
      id,
      consumer,
      deliveryCount: Number(deliveryCount),
    }));
  }

  async add(stream: string, fields: Readonly<Record<string, string>>): Promise<string> {
    const flat = Object.entries(fields).flat();
    return String(await this.#call(`XADD on ${stream}`, 'XADD', stream, '*', ...flat));
  }

  async createGroup(stream: string, group: string, startId: string): Promise<boolean> {
    try {
      await this.#call(
        `XGROUP CREATE on ${stream}`,
        'XGROUP',
        'CREATE',
        stream,
        group,
        startId,
        'MKSTREAM',
      );
      return true;
    } catch (error) {
      if (error instanceof BrokerError && /BUSYGROUP/.test(String(error.cause))) return false;
      throw error;
    }
  }

  async hasGroup(stream: string, group: string): Promise<boolean> {
    try {
      const groups = (await this.#call(
        `XINFO GROUPS on ${stream}`,
        'XINFO',
        'GROUPS',
        stream,
      )) as unknown[][];
      return groups.some((g) => g[g.indexOf('name') + 1] === group);
    } catch (error) {
      if (error instanceof BrokerError && /no such key/i.test(String(error.cause))) return false;
      throw error;
    }
  }

  duplicate(): RedisClient {
    return new IoRedisClient(this.#url, this.#options);
  }

  /**
   * QUIT when connected (waiting at most a second), then drops the socket
   * and stops reconnecting; a connection still reconnecting, or closed
   * with `abandon`, is dropped at once.
   */
  async close(options: { readonly abandon?: boolean } = {}): Promise<void> {
    if (this.#redis.status === 'ready' && options.abandon !== true) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#redis.quit().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(timer);
    }
    this.#redis.disconnect();
  }

  async #call(operation: string, command: string, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.call(command, ...args);
    } catch (error) {
      throw toBrokerError(error, operation, this.#url);
    }
  }
}

type RawEntry = [string, string[] | null];

function toEntries(raw: readonly (RawEntry | null)[]): RedisEntry[] {
  const out: RedisEntry[] = [];
  for (const entry of raw) {
    // XCLAIM and XAUTOCLAIM give a null (or null fields) for a deleted entry.
    if (entry === null || entry[1] === null) continue;
    const [id, flat] = entry;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    out.push({ id, fields });
  }
  return out;
}

/** A library error as a {@link BrokerError} naming the call and the (redacted) server. */
export function toBrokerError(error: unknown, operation: string, url: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const message = redactedMessageOf(error, [url]);
  const name = error instanceof Error ? error.name : '';
  let code: BrokerErrorCode = 'ERR_BROKER_REQUEST';
  if (isNetworkError(error) || name === 'MaxRetriesPerRequestError') {
    code = 'ERR_BROKER_UNREACHABLE';
  } else if (/Connection is closed/i.test(message)) {
    code = 'ERR_BROKER_CLOSED';
  }
  return new BrokerError(
    code,
    'redis',
    `Redis at ${redactUrl(url)}: ${operation} failed: ${message}`,
    { cause: error },
  );
}
