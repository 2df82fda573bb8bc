/**
 * Stream management, for fixtures and tools; the producer does not need
 * it. `NodeRedisAdmin` implements it with `redis` (node-redis).
 */
import type { RedisEntry } from './client.ts';
import { openNodeRedis, toBrokerError, type NodeRedisConnection } from './node-redis-client.ts';

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

/** A {@link RedisAdmin} on its own node-redis connection. */
export class NodeRedisAdmin implements RedisAdmin {
  readonly #url: string;
  readonly #connection: NodeRedisConnection;

  constructor(url: string) {
    this.#url = url;
    this.#connection = openNodeRedis(url, { connectionName: 'sluice-admin' });
  }

  async add(
    stream: string,
    entries: readonly Readonly<Record<string, string>>[],
  ): Promise<string[]> {
    const ids: string[] = [];
    // node-redis pipelines the calls of one tick; 1000 at a time keeps the queue short.
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      const replies = await Promise.all(
        batch.map((fields) =>
          this.#send(`XADD on ${stream}`, ['XADD', stream, '*', ...Object.entries(fields).flat()]),
        ),
      );
      ids.push(...replies.map(String));
    }
    return ids;
  }

  async length(stream: string): Promise<number> {
    return Number(await this.#send(`XLEN on ${stream}`, ['XLEN', stream]));
  }

  async range(stream: string): Promise<RedisEntry[]> {
    const raw = (await this.#send(`XRANGE on ${stream}`, ['XRANGE', stream, '-', '+'])) as [
      string,
      string[],
    ][];
    return raw.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
      return { id: String(id), fields };
    });
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    const summary = (await this.#send(`XPENDING on ${stream}`, ['XPENDING', stream, group])) as [
      number,
      ...unknown[],
    ];
    return Number(summary[0]);
  }

  async delete(...streams: string[]): Promise<void> {
    if (streams.length > 0) await this.#send('DEL', ['DEL', ...streams]);
  }

  close(): Promise<void> {
    if (this.#connection.client.isOpen) this.#connection.client.destroy();
    return Promise.resolve();
  }

  async #send(operation: string, args: readonly string[]): Promise<unknown> {
    try {
      await this.#connection.ready;
      return await this.#connection.client.sendCommand(args);
    } catch (error) {
      throw toBrokerError(error, operation, this.#url);
    }
  }
}
