/**
 * `NodeRedisClient`: the {@link RedisClient} seam over `redis` (node-redis),
 * an optional peer dependency loaded on first use. A lost connection is
 * reconnected by node-redis on the producer's `reconnectBackoff` (jittered,
 * doubling); calls made meanwhile wait for it, bounded by the producer's
 * `requestTimeout`.
 */
import type * as NodeRedis from 'redis';
import type { RedisClientType } from 'redis';
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

/** The node-redis versions the adapter is written for. */
export const NODE_REDIS_RANGE = '^6.4.0';

/** Loads `redis`, or throws `ERR_MISSING_LIBRARY` naming the install command. */
export function loadNodeRedis(): typeof NodeRedis {
  return loadLibrary<typeof NodeRedis>('redis', NODE_REDIS_RANGE, 'redis');
}

/** Options of {@link NodeRedisClient}. */
export interface NodeRedisClientOptions {
  /** Between reconnect attempts: jittered, doubling. @defaultValue `{ initial: 100, max: 5000 }` */
  readonly reconnectBackoff?: Backoff;
  /** CLIENT SETNAME, shown by CLIENT LIST. */
  readonly connectionName?: string;
  /** Told once per outage, when an open connection fails (node-redis then reconnects). */
  readonly onConnectionLost?: (error: unknown) => void;
  /** Told when a connection lost before is ready again. */
  readonly onReconnected?: () => void;
}

/** An open node-redis connection, and the promise of its first connect. */
export interface NodeRedisConnection {
  readonly client: RedisClientType;
  readonly ready: Promise<unknown>;
}

/**
 * Opens a node-redis connection to `url` in the background. It reconnects
 * on `reconnectBackoff` for ever, the first connect included; its errors
 * are reported through the calls that fail.
 */
export function openNodeRedis(url: string, options: NodeRedisClientOptions): NodeRedisConnection {
  const { createClient } = loadNodeRedis();
  const backoff = options.reconnectBackoff ?? { initial: 100, max: 5000 };
  const client = createClient({
    url,
    ...(options.connectionName !== undefined && { name: options.connectionName }),
    socket: { reconnectStrategy: (retries: number) => jitteredDelay(retries + 1, backoff) },
  }) as unknown as RedisClientType;
  // Without a listener node-redis would throw each reconnect failure.
  let down = false;
  let connected = false;
  client.on('error', (error: unknown) => {
    if (down || !connected) return;
    down = true;
    options.onConnectionLost?.(error);
  });
  client.on('ready', () => {
    connected = true;
    if (!down) return;
    down = false;
    options.onReconnected?.();
  });
  const ready = client.connect();
  // A connect that never succeeds is reported by the calls that wait for it.
  ready.catch(() => undefined);
  return { client, ready };
}

/** CLIENT UNBLOCKs sent for one read, at most (see {@link NodeRedisClient.readGroup}). */
const UNBLOCK_ATTEMPTS = 100;
/** Between them, in ms: the read has not reached the server yet. */
const UNBLOCK_PAUSE_MS = 5;

/** A {@link RedisClient} on one node-redis connection. */
export class NodeRedisClient implements RedisClient {
  readonly #url: string;
  readonly #options: NodeRedisClientOptions;
  readonly #connection: NodeRedisConnection;
  /** The connection this one was duplicated from: it ends this one's blocked reads. */
  readonly #control: NodeRedisClient | undefined;
  /** CLIENT ID of this connection, asked once per (re)connect. */
  #id: Promise<number> | undefined;

  /**
   * Connects to `url` (`redis://`, or `rediss://` for TLS) at once, in the
   * background. `control`, when given, is the connection that ends this
   * one's blocked reads (see `signal` in {@link RedisReadGroup}).
   */
  constructor(url: string, options: NodeRedisClientOptions = {}, control?: NodeRedisClient) {
    this.#url = url;
    this.#options = options;
    this.#control = control;
    this.#connection = openNodeRedis(url, options);
    // A new connection has a new id.
    this.#connection.client.on('ready', () => (this.#id = undefined));
  }

  /** The node-redis client, e.g. for calls the seam does not cover. */
  get redis(): RedisClientType {
    return this.#connection.client;
  }

  /**
   * XREADGROUP … BLOCK. With a `signal` on a duplicated connection, the
   * connection's CLIENT ID is asked first (pipelined, once per connect);
   * an abort then sends CLIENT UNBLOCK … TIMEOUT on the connection it was
   * duplicated from, until the read has returned: a read that has not
   * reached the server yet is unblocked once it has.
   */
  async readGroup(a: RedisReadGroup): Promise<RedisEntry[]> {
    const settled = a.signal === undefined ? undefined : this.#unblockOnAbort(a.signal);
    try {
      return await this.#readGroup(a);
    } finally {
      settled?.();
    }
  }

  /** Ends the read on this connection when `signal` aborts; call the result once it has returned. */
  #unblockOnAbort(signal: AbortSignal): (() => void) | undefined {
    const control = this.#control;
    if (control === undefined) return undefined;
    const id = (this.#id ??= this.#call('CLIENT ID', ['CLIENT', 'ID']).then(Number));
    id.catch(() => undefined);
    let done = false;
    const unblock = async (): Promise<void> => {
      const serverId = String(await id);
      for (let i = 0; i < UNBLOCK_ATTEMPTS && !done; i++) {
        const n = await control.#call('CLIENT UNBLOCK', ['CLIENT', 'UNBLOCK', serverId, 'TIMEOUT']);
        if (done) return;
        // 0: not blocked (yet); 1: a read ended, perhaps one queued before ours.
        if (Number(n) === 0) await pause(UNBLOCK_PAUSE_MS);
      }
    };
    const onAbort = (): void => void unblock().catch(() => undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      done = true;
      signal.removeEventListener('abort', onAbort);
    };
  }

  async #readGroup(a: RedisReadGroup): Promise<RedisEntry[]> {
    const reply = await this.#call(`XREADGROUP on ${a.stream}`, [
      'XREADGROUP',
      'GROUP',
      a.group,
      a.consumer,
      'COUNT',
      String(a.count),
      'BLOCK',
      String(a.block),
      'STREAMS',
      a.stream,
      '>',
    ]);
    if (reply === null || reply === undefined) return [];
    // An array of [stream, entries] pairs, or (as node-redis maps it) an object keyed by stream.
    const perStream = Array.isArray(reply)
      ? (reply as [string, RawEntry[]][]).map(([, entries]) => entries)
      : Object.values(reply as Record<string, RawEntry[]>);
    // One stream is read: no need to join.
    if (perStream.length === 1) return toEntries(perStream[0] as RawEntry[]);
    return perStream.flatMap((entries) => toEntries(entries));
  }

  async ack(stream: string, group: string, ids: readonly string[]): Promise<number> {
    return Number(await this.#call(`XACK on ${stream}`, ['XACK', stream, group, ...ids]));
  }

  async claim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<RedisEntry[]> {
    const reply = await this.#call(`XCLAIM on ${stream}`, [
      'XCLAIM',
      stream,
      group,
      consumer,
      String(Math.round(minIdle)),
      ...ids,
    ]);
    return toEntries(reply as RawEntry[]);
  }

  async touch(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<number> {
    const reply = await this.#call(`XCLAIM on ${stream}`, [
      'XCLAIM',
      stream,
      group,
      consumer,
      String(Math.round(minIdle)),
      ...ids,
      'JUSTID',
    ]);
    return (reply as unknown[]).length;
  }

  async autoClaim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<RedisAutoClaim> {
    const reply = (await this.#call(`XAUTOCLAIM on ${stream}`, [
      'XAUTOCLAIM',
      stream,
      group,
      consumer,
      String(Math.round(minIdle)),
      cursor,
      'COUNT',
      String(count),
    ])) as [string, RawEntry[], ...unknown[]];
    return { cursor: String(reply[0]), entries: toEntries(reply[1]) };
  }

  async pending(
    stream: string,
    group: string,
    start: string,
    end: string,
    count: number,
    consumer: string,
  ): Promise<RedisPendingEntry[]> {
    const reply = (await this.#call(`XPENDING on ${stream}`, [
      'XPENDING',
      stream,
      group,
      start,
      end,
      String(count),
      consumer,
    ])) as [string, string, number, number][];
    return reply.map(([id, owner, , deliveryCount]) => ({
      id: String(id),
      consumer: String(owner),
      deliveryCount: Number(deliveryCount),
    }));
  }

  async add(stream: string, fields: Readonly<Record<string, string>>): Promise<string> {
    const flat = Object.entries(fields).flat();
    return String(await this.#call(`XADD on ${stream}`, ['XADD', stream, '*', ...flat]));
  }

  async createGroup(stream: string, group: string, startId: string): Promise<boolean> {
    try {
      await this.#call(`XGROUP CREATE on ${stream}`, [
        'XGROUP',
        'CREATE',
        stream,
        group,
        startId,
        'MKSTREAM',
      ]);
      return true;
    } catch (error) {
      if (error instanceof BrokerError && /BUSYGROUP/.test(String(error.cause))) return false;
      throw error;
    }
  }

  async hasGroup(stream: string, group: string): Promise<boolean> {
    try {
      const groups = (await this.#call(`XINFO GROUPS on ${stream}`, [
        'XINFO',
        'GROUPS',
        stream,
      ])) as unknown[];
      return groups.some((g) => groupName(g) === group);
    } catch (error) {
      if (error instanceof BrokerError && /no such key/i.test(String(error.cause))) return false;
      throw error;
    }
  }

  duplicate(): RedisClient {
    return new NodeRedisClient(this.#url, this.#options, this);
  }

  /**
   * Closes after the calls sent are answered (waiting at most a second),
   * then drops the socket and stops reconnecting; a connection that is not
   * ready, or closed with `abandon`, is dropped at once.
   */
  async close(options: { readonly abandon?: boolean } = {}): Promise<void> {
    const { client } = this.#connection;
    if (client.isReady && options.abandon !== true) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.close().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(timer);
    }
    if (client.isOpen) client.destroy();
  }

  async #call(operation: string, args: readonly string[]): Promise<unknown> {
    try {
      await this.#connection.ready;
      return await this.#connection.client.sendCommand(args);
    } catch (error) {
      throw toBrokerError(error, operation, this.#url);
    }
  }
}

type RawEntry = [string, string[] | null];

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A group's name from an XINFO GROUPS item: a flat [key, value, …] array or an object. */
function groupName(item: unknown): unknown {
  if (Array.isArray(item)) return item[item.indexOf('name') + 1];
  return (item as { name?: unknown } | null)?.name;
}

function toEntries(raw: readonly (RawEntry | null)[]): RedisEntry[] {
  const out: RedisEntry[] = [];
  for (const entry of raw) {
    // XCLAIM and XAUTOCLAIM give a null (or null fields) for a deleted entry.
    if (entry === null || entry[1] === null) continue;
    const [id, flat] = entry;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    out.push({ id: String(id), fields });
  }
  return out;
}

/** A library error as a {@link BrokerError} naming the call and the (redacted) server. */
export function toBrokerError(error: unknown, operation: string, url: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const message = redactedMessageOf(error, [url]);
  const name = error instanceof Error ? error.name : '';
  let code: BrokerErrorCode = 'ERR_BROKER_REQUEST';
  if (
    isNetworkError(error) ||
    name === 'ConnectionTimeoutError' ||
    name === 'SocketClosedUnexpectedlyError'
  ) {
    code = 'ERR_BROKER_UNREACHABLE';
  } else if (name === 'ClientClosedError' || /client is closed/i.test(message)) {
    code = 'ERR_BROKER_CLOSED';
  }
  return new BrokerError(
    code,
    'redis',
    `Redis at ${redactUrl(url)}: ${operation} failed: ${message}`,
    { cause: error },
  );
}
