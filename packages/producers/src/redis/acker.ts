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
import { Coalescer } from '../internal/coalescer.ts';
import { channels } from './telemetry.ts';

/** Calls per XACK, the first included, when it fails (a reconnect, a timeout). */
const ACK_ATTEMPTS = 3;
const ACK_BACKOFF: Backoff = { initial: 100, max: 2000 };

interface Pending {
  readonly id: string;
  readonly settle: (error: unknown) => void;
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
  readonly #coalescer: Coalescer<Pending>;
  readonly #calls = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #unconfirmed = 0;

  constructor(options: AckerOptions) {
    this.#o = options;
    this.#coalescer = new Coalescer(options.batchSize);
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
      let left = ids.length;
      let failure: unknown;
      const settle = (error: unknown): void => {
        this.#unconfirmed -= 1;
        if (error !== undefined) failure ??= error;
        if (--left > 0) return;
        if (failure === undefined) resolve();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a BrokerError from the client
        else reject(failure);
      };
      for (const chunk of this.#coalescer.add(ids.map((id) => ({ id, settle })))) {
        this.#send(chunk);
      }
      if (this.#coalescer.pending === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      } else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          for (const chunk of this.#coalescer.flush()) this.#send(chunk);
        }, this.#o.windowMs);
      }
    });
  }

  /** Sends whatever waits at once, and resolves when every XACK has settled. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const chunk of this.#coalescer.flush()) this.#send(chunk);
    while (this.#calls.size > 0) await Promise.all([...this.#calls]);
  }

  #send(chunk: Pending[]): void {
    const call = this.#xack(chunk.map((p) => p.id)).then((error) => {
      for (const p of chunk) p.settle(error);
    });
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call));
  }

  /** Resolves to undefined once acked, or to the last error after {@link ACK_ATTEMPTS} calls. */
  async #xack(ids: string[]): Promise<unknown> {
    const { client, stream, group, logger } = this.#o;
    const sleep = this.#o.sleep ?? defaultSleep;
    let error: unknown;
    for (let attempt = 1; attempt <= ACK_ATTEMPTS; attempt++) {
      try {
        await client.ack(stream, group, ids);
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
