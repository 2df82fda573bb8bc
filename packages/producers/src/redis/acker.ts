/**
 * Acks entries with XACK, coalescing the acks that arrive within
 * `windowMs` of each other into one call of up to `batchSize` ids. Each
 * `ack()` resolves once its own ids are acked, or rejects with the
 * `BrokerError` that kept them pending (they are then claimed again after
 * `claimIdle`). {@link Acker.unconfirmed} counts the ids acked by the
 * pipeline that Redis has not confirmed yet, for the stop report.
 */
import type { Logger } from '@sluice/core';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type { RedisClient } from './client.ts';
import { channels } from './telemetry.ts';

/** Calls per XACK, the first included, when it fails (a reconnect, a timeout). */
const ACK_ATTEMPTS = 3;
const ACK_BACKOFF: Backoff = { initial: 100, max: 2000 };

/** One `ack()` call: how many of its ids are still unconfirmed, and its promise's ends. */
interface Waiter {
  left: number;
  failure: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** `n` consecutive ids of the queue, all of one waiter. */
interface Part {
  readonly waiter: Waiter;
  n: number;
}

export interface AckerOptions {
  readonly client: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly windowMs: number;
  readonly batchSize: number;
  readonly logger: Logger;
  /** Waits `ms` (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class Acker {
  readonly #o: AckerOptions;
  readonly #calls = new Set<Promise<void>>();
  /** Ids waiting for their XACK, in order, and whose they are (a run of ids per part). */
  readonly #ids: string[] = [];
  readonly #parts: Part[] = [];
  #timer: NodeJS.Timeout | undefined;
  #unconfirmed = 0;

  constructor(options: AckerOptions) {
    this.#o = options;
  }

  /** Ids acked by the pipeline and not yet confirmed by Redis (waiting or sent). */
  unconfirmed(): number {
    return this.#unconfirmed;
  }

  /** XACKs `ids`; resolves once Redis has taken them all. */
  ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    this.#unconfirmed += ids.length;
    return new Promise((resolve, reject) => {
      this.#parts.push({
        waiter: { left: ids.length, failure: undefined, resolve, reject },
        n: ids.length,
      });
      for (const id of ids) this.#ids.push(id);
      const size = this.#o.batchSize;
      while (this.#ids.length >= size) this.#send(size);
      if (this.#ids.length === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      } else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#sendAll();
        }, this.#o.windowMs);
      }
    });
  }

  /**
   * Sends the ids waiting now on `connection`, the reader's, just before it
   * sends a read: the XACK and the XREADGROUP share a write and a round
   * trip, as in a hand-written read-handle-ack loop. The XACK goes first, so
   * a read that blocks does not hold it. A failed XACK is retried on the
   * acker's own connection.
   */
  sendWaitingOn(connection: RedisClient): void {
    if (this.#ids.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sendAll(connection);
  }

  /** Sends whatever waits at once, and resolves when every XACK has settled. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sendAll();
    while (this.#calls.size > 0) await Promise.all([...this.#calls]);
  }

  #sendAll(connection?: RedisClient): void {
    while (this.#ids.length > 0) {
      this.#send(Math.min(this.#ids.length, this.#o.batchSize), connection);
    }
  }

  /** XACKs the first `count` ids waiting; settles their waiters' shares when Redis answers. */
  #send(count: number, connection = this.#o.client): void {
    const ids = this.#ids.splice(0, count);
    const parts: Part[] = [];
    let need = count;
    while (need > 0) {
      const part = this.#parts[0] as Part;
      if (part.n <= need) {
        this.#parts.shift();
        parts.push(part);
        need -= part.n;
      } else {
        parts.push({ waiter: part.waiter, n: need });
        part.n -= need;
        need = 0;
      }
    }
    const call = this.#xack(ids, connection).then((error) => {
      for (const part of parts) this.#settle(part, error);
    });
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call));
  }

  #settle({ waiter, n }: Part, error: unknown): void {
    this.#unconfirmed -= n;
    if (error !== undefined) waiter.failure ??= error;
    waiter.left -= n;
    if (waiter.left > 0) return;
    if (waiter.failure === undefined) waiter.resolve();
    else waiter.reject(waiter.failure);
  }

  /**
   * Resolves to undefined once acked, or to the last error after
   * {@link ACK_ATTEMPTS} calls: the first on `first`, the others on the
   * acker's own connection.
   */
  async #xack(ids: string[], first: RedisClient): Promise<unknown> {
    const { stream, group, logger } = this.#o;
    const sleep = this.#o.sleep ?? defaultSleep;
    let error: unknown;
    for (let attempt = 1; attempt <= ACK_ATTEMPTS; attempt++) {
      try {
        await (attempt === 1 ? first : this.#o.client).ack(stream, group, ids);
        if (channels.ack.hasSubscribers) {
          channels.ack.publish({ stream, group, count: ids.length, attempts: attempt });
        }
        return undefined;
      } catch (e) {
        error = e;
        if (attempt < ACK_ATTEMPTS) await sleep(jitteredDelay(attempt, ACK_BACKOFF));
      }
    }
    logger.warn(
      { err: error, stream, group, count: ids.length },
      `Redis XACK of ${ids.length} entries failed ${ACK_ATTEMPTS} times; they stay pending and will be claimed again after claimIdle`,
    );
    return error;
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
