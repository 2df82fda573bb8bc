/**
 * The read loop of one producer instance. While the pipeline wants
 * entries it takes, in this order: its own failed entries whose backoff has
 * passed (XCLAIM), idle entries of any consumer once per `claimInterval`
 * (XAUTOCLAIM), then new entries (XREADGROUP … BLOCK), each call sized by
 * the unmet demand.
 *
 * Blocking reads run on a connection of their own, so claims and acks
 * never queue behind them. While the stream has a backlog (the last read
 * filled its COUNT) a second read is sent before the first returns, so the
 * next entries are on their way while the last are handled. A retry that
 * becomes due while a read blocks and no demand is left ends that read
 * early (its signal; see client.ts), so it never waits for `block`.
 * Failures are reported and paced by reconnect.ts, never thrown.
 */
import type { Logger } from '@sluice/core';
import { claimRetries, IdleClaimer, type ClaimTarget, type DeliveredEntry } from './claims.ts';
import type { RedisClient } from './client.ts';
import { needsNewConnection, ReadBackoff } from './reconnect.ts';
import { RetryQueue, type RetryTimers } from './retries.ts';
import { channels } from './telemetry.ts';
import type { Backoff } from '../internal/retry.ts';

/** Reads in flight at once on the reading connection. */
const MAX_READS = 2;
/** How long a drain waits for the reads in flight to end, in ms. */
const DRAIN_WAIT_MS = 2000;

export interface ReaderOptions {
  /** For acks and claims, shared by the instances. */
  readonly client: RedisClient;
  /** For the blocking reads, this reader's own. @defaultValue `client.duplicate()` */
  readonly connection?: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  readonly block: number;
  readonly claimIdle: number;
  readonly claimInterval: number;
  readonly reconnectBackoff: Backoff;
  readonly logger: Logger;
  /**
   * Called with the reading connection just before an XREADGROUP is sent
   * on it while no other read is in flight there, e.g. to send the acks
   * waiting on the same round trip.
   */
  readonly beforeRead?: (connection: RedisClient) => void;
  /** Gets entries within the demand. */
  readonly onEntries: (entries: DeliveredEntry[], retries: RetryQueue) => void;
  /** The retry timers (tests pass fakes). */
  readonly timers?: RetryTimers;
}

export class Reader {
  readonly #o: ReaderOptions;
  readonly retries: RetryQueue;
  readonly #claimer: IdleClaimer;
  readonly #backoff: ReadBackoff;
  readonly #reads = new Set<Promise<void>>();
  #reader: RedisClient;
  /** Demand not yet met. */
  #unmet = 0;
  /** What the reads in flight asked for: demand they may still meet. */
  #reserved = 0;
  /** The last read filled its COUNT: the stream has a backlog. */
  #full = false;
  /** A read that failed, for the loop to report and pace. */
  #readError: unknown;
  /** Ends the reads in flight early. */
  #unblock = new AbortController();
  #draining = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ReaderOptions) {
    this.#o = options;
    this.#reader = options.connection ?? options.client.duplicate();
    this.retries = new RetryQueue(() => this.#wakeUp(), options.timers);
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

  /** False from a failed read until a read succeeds: the server cannot be reached. */
  get connected(): boolean {
    return this.#backoff.failures === 0;
  }

  /** The pipeline wants `demand` more entries. */
  demand(demand: number): void {
    this.#unmet += demand;
    this.#loop ??= this.#run();
    this.#wakeUp();
  }

  /**
   * Stops reading: ends the reads in flight (CLIENT UNBLOCK, see
   * client.ts) and hands on what they bring, so nothing they took is left
   * pending; after {@link DRAIN_WAIT_MS} (a server that does not answer)
   * the connection is closed, abandoning them. Resolves once the loop has
   * ended. Failed entries waiting for their retry stay pending, for
   * `claimIdle`.
   */
  async drain(): Promise<void> {
    if (this.#draining) return this.#loop;
    this.#draining = true;
    this.retries.clear();
    this.#unblock.abort();
    this.#wakeUp();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#readsSettled(),
      new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_WAIT_MS))),
    ]);
    clearTimeout(timer);
    await this.#reader.close({ abandon: true });
    await this.#loop;
  }

  async #readsSettled(): Promise<void> {
    while (this.#reads.size > 0) await Promise.all([...this.#reads]);
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
      if (this.#readError !== undefined) {
        const error = this.#readError;
        this.#readError = undefined;
        await this.#failed(error);
        continue;
      }
      const free = this.#unmet - this.#reserved;
      try {
        if (free > 0 && (await this.#claim(free))) continue;
      } catch (error) {
        if (this.#draining) break;
        await this.#failed(error);
        continue;
      }
      if (free > 0 && this.#mayRead(free)) {
        this.#startRead(Math.min(free, this.#o.count));
        continue;
      }
      // A due retry, and all the demand is with blocked reads: end them.
      if (this.retries.ready > 0 && this.#reads.size > 0 && !this.#unblock.signal.aborted) {
        this.#unblock.abort();
      }
      // Until demand, a read's end or a retry wakes the loop.
      await this.#sleep(undefined);
    }
    await this.#readsSettled();
  }

  /** Claims due retries, then idle entries when a claim is due; true if it made a call. */
  async #claim(free: number): Promise<boolean> {
    const ask = Math.min(free, this.#o.count);
    const ready = this.retries.take(ask);
    // Retries not claimed back (a failed call) stay pending: an idle claim finds them.
    if (ready.length > 0) {
      this.#emit(await claimRetries(this.#target(), ready));
      this.#backoff.succeeded();
      return true;
    }
    const now = performance.now();
    if (!this.#claimer.due(now)) return false;
    const claimed = await this.#claimer.claim(ask, now);
    this.#backoff.succeeded();
    this.#emit(claimed);
    return true;
  }

  /** One read at a time; a second only while the stream has a backlog. */
  #mayRead(free: number): boolean {
    if (this.#reads.size === 0) return true;
    return this.#reads.size < MAX_READS && this.#full && free >= this.#o.count;
  }

  #startRead(ask: number): void {
    this.#reserved += ask;
    if (this.#unblock.signal.aborted) this.#unblock = new AbortController();
    const read: Promise<void> = this.#read(ask, this.#unblock.signal).then(
      (entries) => {
        this.#reserved -= ask;
        this.#full = entries.length >= ask;
        this.#backoff.succeeded();
        this.#emit(entries);
      },
      (error: unknown) => {
        this.#reserved -= ask;
        this.#full = false;
        if (!this.#draining) this.#readError ??= error;
      },
    );
    this.#reads.add(read);
    void read.finally(() => {
      this.#reads.delete(read);
      this.#wakeUp();
    });
  }

  async #read(ask: number, signal: AbortSignal): Promise<DeliveredEntry[]> {
    const { stream, group, consumer, block } = this.#o;
    if (channels.readStart.hasSubscribers) {
      channels.readStart.publish({ stream, group, consumer, demand: ask });
    }
    const started = performance.now();
    // Never block past the next idle claim.
    const wait = Math.max(1, Math.min(block, Math.ceil(this.#claimer.msUntilDue(started))));
    // Behind a read in flight, which may block, a command would wait for it.
    if (this.#reads.size === 0) this.#o.beforeRead?.(this.#reader);
    const entries = await this.#reader.readGroup({
      stream,
      group,
      consumer,
      count: ask,
      block: wait,
      signal,
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
    return entries.map((e) => ({ id: e.id, fields: e.fields, deliveryCount: 1 }));
  }

  #emit(entries: DeliveredEntry[]): void {
    if (entries.length === 0) return;
    // Redis never returns more than COUNT, and reads and claims never ask
    // past the demand; guard anyway, demand is a promise to the pipeline.
    const within = entries.length <= this.#unmet ? entries : entries.slice(0, this.#unmet);
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
