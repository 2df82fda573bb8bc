/**
 * Heartbeats for held entries: an entry the pipeline holds (read or
 * claimed, not yet acked or failed) stays pending with its consumer, and its
 * idle time grows. Past `claimIdle`, any consumer's XAUTOCLAIM would take it
 * and handle it a second time, e.g. while it waits in a batcher. So, like
 * SQS's visibility extension, the holder resets the idle time of what it
 * holds every third of `claimIdle`, with `XCLAIM … JUSTID` to itself
 * (which neither returns the entry nor counts a delivery).
 *
 * XCLAIM moves an entry to whoever asks: the reset asks for a least idle
 * time of half the heartbeat interval, so an entry another consumer took
 * since (its idle time reset by that claim) stays with that consumer.
 */
import type { Logger } from '@sluice/core';
import type { RedisClient } from './client.ts';

/** The most ids one XCLAIM carries. */
const BATCH = 500;

/** Timers the heartbeat uses (tests pass vitest's fake timers). */
export interface HoldTimers {
  readonly setInterval: (fn: () => void, ms: number) => unknown;
  readonly clearInterval: (timer: unknown) => void;
}

const realTimers: HoldTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (t) => clearInterval(t as NodeJS.Timeout),
};

export interface HoldsOptions {
  readonly client: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly claimIdle: number;
  readonly logger: Logger;
  readonly timers?: HoldTimers;
}

/** The entries one producer run holds, each with the consumer that holds it. */
export class Holds {
  readonly #o: HoldsOptions;
  readonly #held = new Map<string, string>();
  readonly #t: HoldTimers;
  #timer: unknown;
  #beating: Promise<void> | undefined;

  constructor(options: HoldsOptions) {
    this.#o = options;
    this.#t = options.timers ?? realTimers;
  }

  /** How often the held entries' idle times are reset, in ms. */
  get intervalMs(): number {
    return Math.max(10, Math.floor(this.#o.claimIdle / 3));
  }

  /** The entries held now. */
  get size(): number {
    return this.#held.size;
  }

  /** `consumer` hands entry `id` to the pipeline. */
  hold(id: string, consumer: string): void {
    this.#held.set(id, consumer);
    if (this.#timer === undefined) {
      this.#timer = this.#t.setInterval(() => void this.beat(), this.intervalMs);
    }
  }

  /** The pipeline is done with `ids` (acked, failed or dead-lettered). */
  release(ids: readonly string[]): void {
    for (const id of ids) this.#held.delete(id);
    if (this.#held.size === 0) this.#stopTimer();
  }

  /** Resets the idle time of every held entry; one round at a time. */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const { client, stream, group, logger } = this.#o;
    const byConsumer = new Map<string, string[]>();
    for (const [id, consumer] of this.#held) {
      const ids = byConsumer.get(consumer);
      if (ids === undefined) byConsumer.set(consumer, [id]);
      else ids.push(id);
    }
    const minIdle = Math.floor(this.intervalMs / 2);
    for (const [consumer, ids] of byConsumer) {
      for (let i = 0; i < ids.length; i += BATCH) {
        const batch = ids.slice(i, i + BATCH);
        try {
          await client.touch(stream, group, consumer, minIdle, batch);
        } catch (error) {
          // The next round tries again; until claimIdle passes nothing is lost.
          logger.warn(
            { err: error, stream, group, consumer, count: batch.length },
            `Redis: could not reset the idle time of ${batch.length} held entries; retrying in ${this.intervalMs} ms`,
          );
          return;
        }
      }
    }
  }

  /** Stops the heartbeat (the run is closing). */
  stop(): void {
    this.#held.clear();
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    this.#t.clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
