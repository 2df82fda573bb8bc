/**
 * The seam between Sluice and a Redis client library: the calls the Redis
 * Streams producer makes, and nothing else (stream and group management
 * for fixtures is in admin.ts). `NodeRedisClient` implements it with
 * `redis` (node-redis); tests can implement it in memory.
 *
 * Failures reject with a `BrokerError` (`ERR_BROKER_UNREACHABLE`,
 * `ERR_BROKER_CLOSED`, `ERR_BROKER_REQUEST`). The producer bounds every call
 * by its `requestTimeout` (a read: `block` plus that).
 */

/** A stream entry: its id and its fields, in order, as a plain object. */
export interface RedisEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** A pending entry's id and how many times it has been delivered (XPENDING). */
export interface RedisPendingEntry {
  readonly id: string;
  readonly consumer: string;
  readonly deliveryCount: number;
}

/** What {@link RedisClient.autoClaim} returns. */
export interface RedisAutoClaim {
  /** Where the next XAUTOCLAIM starts; `0-0` once the whole pending list was scanned. */
  readonly cursor: string;
  readonly entries: readonly RedisEntry[];
}

/** Arguments of {@link RedisClient.readGroup}. */
export interface RedisReadGroup {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  /** BLOCK, in ms. */
  readonly block: number;
  /**
   * Ends the BLOCK early when aborted: the read then resolves with what it
   * has, usually nothing. Only a connection made by
   * {@link RedisClient.duplicate} can do this (it asks through the one it
   * was made from); elsewhere the read blocks on.
   */
  readonly signal?: AbortSignal;
}

/** A Redis connection the producer reads and acks through. */
export interface RedisClient {
  /** XREADGROUP GROUP g c COUNT n BLOCK ms STREAMS s `>`: new entries, delivered to `consumer`. */
  readGroup(args: RedisReadGroup): Promise<RedisEntry[]>;
  /** XACK: resolves to how many of `ids` were pending. */
  ack(stream: string, group: string, ids: readonly string[]): Promise<number>;
  /**
   * XCLAIM the `ids` idle at least `minIdle` ms to `consumer`; resolves to
   * those claimed (entries deleted from the stream are left out).
   */
  claim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<RedisEntry[]>;
  /**
   * XCLAIM the `ids` idle at least `minIdle` ms to `consumer` with JUSTID:
   * resets their idle time without a delivery; resolves to how many were.
   */
  touch(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<number>;
  /** XAUTOCLAIM up to `count` entries idle at least `minIdle` ms, from `cursor`. */
  autoClaim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<RedisAutoClaim>;
  /** XPENDING s g `start` `end` `count` `consumer`: `consumer`'s pending entries between two ids. */
  pending(
    stream: string,
    group: string,
    start: string,
    end: string,
    count: number,
    consumer: string,
  ): Promise<RedisPendingEntry[]>;
  /** XADD s * fields…: resolves to the new entry's id. */
  add(stream: string, fields: Readonly<Record<string, string>>): Promise<string>;
  /**
   * XGROUP CREATE s g `startId` MKSTREAM: resolves to true when created,
   * false when the group existed already.
   */
  createGroup(stream: string, group: string, startId: string): Promise<boolean>;
  /** True when `group` exists on `stream` (XINFO GROUPS). */
  hasGroup(stream: string, group: string): Promise<boolean>;
  /** A new connection to the same server with the same settings, e.g. for blocking reads. */
  duplicate(): RedisClient;
  /**
   * Closes the connection. With `abandon`, at once: calls in flight (a
   * blocked XREADGROUP) fail; without, after the calls sent are answered.
   */
  close(options?: { readonly abandon?: boolean }): Promise<void>;
}
