/**
 * The read loop of one producer instance. While the pipeline wants
 * entries it takes, in this order: its own failed entries whose backoff has
 * passed (XCLAIM), idle entries of any consumer once per `claimInterval`
 * (XAUTOCLAIM), then new entries (XREADGROUP … BLOCK), each call sized by
 * the unmet demand. Blocking reads run on a connection of their own.
 * Failures are reported and paced by reconnect.ts, never thrown.
 */
import type { Logger } from '@sluice/core';
import { claimRetries, IdleClaimer, type ClaimTarget, type DeliveredEntry } from './claims.ts';
import type { RedisClient } from './client.ts';
import { needsNewConnection, ReadBackoff } from './reconnect.ts';
import { RetryQueue } from './retries.ts';
import { channels } from './telemetry.ts';
import type { Backoff } from '../internal/retry.ts';

export interface ReaderOptions {
  /** For acks and claims, shared by the instances. */
  readonly client: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  readonly block: number;
  readonly claimIdle: number;
  readonly claimInterval: number;
  readonly reconnectBackoff: Backoff;
  readonly logger: Logger;
  /** Gets entries within the demand. */
  readonly onEntries: (entries: DeliveredEntry[], retries: RetryQueue) => void;
}

export class Reader {
  readonly #o: ReaderOptions;
  readonly retries: RetryQueue;
  readonly #claimer: IdleClaimer;
  readonly #backoff: ReadBackoff;
  #reader: RedisClient;
  #unmet = 0;
  #draining = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ReaderOptions) {
    this.#o = options;
    this.#reader = options.client.duplicate();
    this.retries = new RetryQueue(() => this.#wakeUp());
    this.#claimer = new IdleClaimer(
      this.#target(),
      options.claimIdle,
      options.claimInterval,
      performance.now(),
    );
    this.#backoff = new ReadBackoff(options.reconnectBackoff);
  }

  /** The demand not yet met. */
  get unmet(): number {
    return this.#unmet;
  }

  /** The pipeline wants `demand` more entries. */
  demand(demand: number): void {
    this.#unmet += demand;
    this.#loop ??= this.#run();
    this.#wakeUp();
  }

  /**
   * Stops reading: closes the blocking connection (an XREADGROUP waiting
   * on it is abandoned) and resolves once the loop has ended. Failed
   * entries waiting for their retry stay pending, for `claimIdle`.
   */
  async drain(): Promise<void> {
    if (this.#draining) return this.#loop;
    this.#draining = true;
    this.retries.clear();
    this.#wakeUp();
    await this.#reader.close({ abandon: true });
    await this.#loop;
  }

  #target(): ClaimTarget {
    const { client, stream, group, consumer } = this.#o;
    return { client, stream, group, consumer };
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.#wakeUp(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    while (!this.#draining) {
      if (this.#unmet === 0) {
        await this.#sleep(undefined);
        continue;
      }
      try {
        const entries = await this.#next(this.#unmet);
        if (this.#draining && entries.length === 0) break;
        this.#backoff.succeeded();
        this.#emit(entries);
      } catch (error) {
        if (this.#draining) break;
        await this.#failed(error);
      }
    }
  }

  async #next(unmet: number): Promise<DeliveredEntry[]> {
    const ask = Math.min(unmet, this.#o.count);
    const ready = this.retries.take(ask);
    // Retries not claimed back (a failed call) stay pending: an idle claim finds them.
    if (ready.length > 0) return claimRetries(this.#target(), ready);
    const now = performance.now();
    if (this.#claimer.due(now)) {
      const claimed = await this.#claimer.claim(ask, now);
      if (claimed.length > 0) return claimed;
    }
    return this.#read(ask);
  }

  async #read(ask: number): Promise<DeliveredEntry[]> {
    const { stream, group, consumer, block } = this.#o;
    if (channels.readStart.hasSubscribers) {
      channels.readStart.publish({ stream, group, consumer, demand: ask });
    }
    const started = performance.now();
    // Never block past the next idle claim (a ready retry waits for the read to return).
    const wait = Math.max(1, Math.min(block, Math.ceil(this.#claimer.msUntilDue(started))));
    const entries = await this.#reader.readGroup({
      stream,
      group,
      consumer,
      count: ask,
      block: wait,
    });
    if (channels.readStop.hasSubscribers) {
      channels.readStop.publish({
        stream,
        group,
        consumer,
        demand: ask,
        count: entries.length,
        durationMs: performance.now() - started,
      });
    }
    // XREADGROUP with `>` delivers entries for the first time.
    return entries.map((e) => ({ ...e, deliveryCount: 1 }));
  }

  #emit(entries: DeliveredEntry[]): void {
    if (entries.length === 0) return;
    // Redis never returns more than COUNT; guard anyway, demand is a promise to the pipeline.
    const within = entries.slice(0, this.#unmet);
    this.#unmet -= within.length;
    this.#o.onEntries(within, this.retries);
  }

  async #failed(error: unknown): Promise<void> {
    const { stream, group, consumer, logger } = this.#o;
    const retryInMs = this.#backoff.failed();
    if (channels.readException.hasSubscribers) {
      channels.readException.publish({
        stream,
        group,
        consumer,
        demand: this.#unmet,
        error,
        retryInMs,
      });
    }
    logger.warn(
      { err: error, stream, group, consumer, failures: this.#backoff.failures, retryInMs },
      `Redis read failed; retrying in ${retryInMs} ms`,
    );
    if (needsNewConnection(error)) {
      const old = this.#reader;
      this.#reader = this.#o.client.duplicate();
      void old.close({ abandon: true });
    }
    await this.#sleep(retryInMs);
  }
}
