/**
 * A {@link RedisClient} whose every call settles within `requestTimeout`
 * (a read: its BLOCK plus that), rejecting with `ERR_BROKER_TIMEOUT`
 * otherwise. The adapter takes no abort signal: a call that timed out may
 * still run on the server, so the reader replaces a connection whose read
 * timed out (see reader.ts).
 */
import { withTimeout } from '../internal/timeout.ts';
import type {
  RedisAutoClaim,
  RedisClient,
  RedisEntry,
  RedisPendingEntry,
  RedisReadGroup,
} from './client.ts';

/** {@link RedisClient} bounded by a timeout per call. */
export class TimedRedisClient implements RedisClient {
  readonly #inner: RedisClient;
  readonly #timeoutMs: number;

  constructor(inner: RedisClient, timeoutMs: number) {
    this.#inner = inner;
    this.#timeoutMs = timeoutMs;
  }

  #timed<T>(operation: string, run: () => Promise<T>, extraMs = 0): Promise<T> {
    return withTimeout({ broker: 'redis', operation, timeoutMs: this.#timeoutMs + extraMs }, () =>
      run(),
    );
  }

  readGroup(a: RedisReadGroup): Promise<RedisEntry[]> {
    return this.#timed(`XREADGROUP on ${a.stream}`, () => this.#inner.readGroup(a), a.block);
  }

  ack(stream: string, group: string, ids: readonly string[]): Promise<number> {
    return this.#timed(`XACK on ${stream}`, () => this.#inner.ack(stream, group, ids));
  }

  claim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<RedisEntry[]> {
    return this.#timed(`XCLAIM on ${stream}`, () =>
      this.#inner.claim(stream, group, consumer, minIdle, ids),
    );
  }

  touch(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<number> {
    return this.#timed(`XCLAIM JUSTID on ${stream}`, () =>
      this.#inner.touch(stream, group, consumer, minIdle, ids),
    );
  }

  autoClaim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<RedisAutoClaim> {
    return this.#timed(`XAUTOCLAIM on ${stream}`, () =>
      this.#inner.autoClaim(stream, group, consumer, minIdle, cursor, count),
    );
  }

  pending(
    stream: string,
    group: string,
    start: string,
    end: string,
    count: number,
    consumer: string,
  ): Promise<RedisPendingEntry[]> {
    return this.#timed(`XPENDING on ${stream}`, () =>
      this.#inner.pending(stream, group, start, end, count, consumer),
    );
  }

  add(stream: string, fields: Readonly<Record<string, string>>): Promise<string> {
    return this.#timed(`XADD on ${stream}`, () => this.#inner.add(stream, fields));
  }

  createGroup(stream: string, group: string, startId: string): Promise<boolean> {
    return this.#timed(`XGROUP CREATE on ${stream}`, () =>
      this.#inner.createGroup(stream, group, startId),
    );
  }

  hasGroup(stream: string, group: string): Promise<boolean> {
    return this.#timed(`XINFO GROUPS on ${stream}`, () => this.#inner.hasGroup(stream, group));
  }

  duplicate(): RedisClient {
    return new TimedRedisClient(this.#inner.duplicate(), this.#timeoutMs);
  }

  close(options?: { readonly abandon?: boolean }): Promise<void> {
    return this.#timed('QUIT', () => this.#inner.close(options)).catch(() => undefined);
  }
}
