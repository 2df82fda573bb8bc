/**
 * Stream management, for fixtures and tools; the producer does not need
 * it. `IoRedisAdmin` implements it with `ioredis`.
 */
import type { Redis } from 'ioredis';
import type { RedisEntry } from './client.ts';
import { loadIoRedis, toBrokerError } from './ioredis-client.ts';

/** Adding, reading and deleting streams. */
export interface RedisAdmin {
  /** XADDs every entry (pipelined, in order); resolves to their ids. */
  add(stream: string, entries: readonly Readonly<Record<string, string>>[]): Promise<string[]>;
  /** XLEN. */
  length(stream: string): Promise<number>;
  /** XRANGE - +: every entry, oldest first. */
  range(stream: string): Promise<RedisEntry[]>;
  /** How many entries of `group` are pending (XPENDING's summary). */
  pendingCount(stream: string, group: string): Promise<number>;
  /** DEL the keys. */
  delete(...streams: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A {@link RedisAdmin} on its own ioredis connection. */
export class IoRedisAdmin implements RedisAdmin {
  readonly #url: string;
  readonly #redis: Redis;

  constructor(url: string) {
    const { Redis } = loadIoRedis();
    this.#url = url;
    this.#redis = new Redis(url, { maxRetriesPerRequest: 1 });
    this.#redis.on('error', () => undefined);
  }

  async add(
    stream: string,
    entries: readonly Readonly<Record<string, string>>[],
  ): Promise<string[]> {
    const ids: string[] = [];
    // Pipelines of 1000 keep one call's reply small.
    for (let i = 0; i < entries.length; i += 1000) {
      const pipeline = this.#redis.pipeline();
      for (const fields of entries.slice(i, i + 1000)) {
        pipeline.call('XADD', stream, '*', ...Object.entries(fields).flat());
      }
      const replies = (await this.#guard('XADD', () => pipeline.exec())) ?? [];
      for (const [error, id] of replies) {
        if (error !== null) throw toBrokerError(error, `XADD on ${stream}`, this.#url);
        ids.push(String(id));
      }
    }
    return ids;
  }

  async length(stream: string): Promise<number> {
    return Number(await this.#guard(`XLEN on ${stream}`, () => this.#redis.xlen(stream)));
  }

  async range(stream: string): Promise<RedisEntry[]> {
    const raw = await this.#guard(`XRANGE on ${stream}`, () =>
      this.#redis.xrange(stream, '-', '+'),
    );
    return raw.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) {
        fields[flat[i] as string] = flat[i + 1] as string;
      }
      return { id, fields };
    });
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    const summary = (await this.#guard(`XPENDING on ${stream}`, () =>
      this.#redis.call('XPENDING', stream, group),
    )) as [number, ...unknown[]];
    return Number(summary[0]);
  }

  async delete(...streams: string[]): Promise<void> {
    if (streams.length > 0) await this.#guard('DEL', () => this.#redis.del(...streams));
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }

  async #guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toBrokerError(error, operation, this.#url);
    }
  }
}
