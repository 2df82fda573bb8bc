/**
 * A producer's bounded event buffer (GenStage's `buffer_size`/`buffer_keep`).
 *
 * Events that no consumer has asked for yet wait here. When the buffer is
 * full, `keep: 'last'` drops the oldest events and `keep: 'first'` drops the
 * newest arrivals; `store` returns how many were dropped so the stage can
 * report them.
 *
 * Infos (GenStage's `async_info`) ride along in order: an info stored after
 * some events becomes ready only once those events have been taken, and infos
 * are never dropped. Positions are absolute event sequence numbers: `#headSeq`
 * is the sequence number of the oldest buffered event.
 */
import type { z } from 'zod';
import type { StageOptionSchemas } from './options.ts';
import { Fifo } from '../internal/fifo.ts';

export type BufferKeep = z.infer<StageOptionSchemas['bufferKeep']>;

interface PendingInfo {
  readonly seq: number;
  readonly info: unknown;
}

export class EventBuffer<T> {
  readonly size: number;
  readonly keep: BufferKeep;
  readonly #events = new Fifo<T>();
  readonly #infos = new Fifo<PendingInfo>();
  #headSeq = 0;

  constructor(size: number, keep: BufferKeep) {
    this.size = size;
    this.keep = keep;
  }

  /** Buffered events, not counting infos. */
  get count(): number {
    return this.#events.length;
  }

  /** Buffered infos still waiting for their events to be taken. */
  get infoCount(): number {
    return this.#infos.length;
  }

  /** Stores events; returns how many events were discarded to respect `size`. */
  store(events: readonly T[]): number {
    const room = this.size - this.#events.length;
    if (events.length <= room) {
      for (const event of events) this.#events.push(event);
      return 0;
    }
    if (this.keep === 'first') {
      const kept = Math.max(0, room);
      for (let i = 0; i < kept; i++) this.#events.push(events[i] as T);
      return events.length - kept;
    }
    // keep 'last': the newest `size` events of (buffer ++ events) survive.
    let discarded = 0;
    let start = 0;
    if (events.length > this.size) {
      start = events.length - this.size;
      discarded += start;
    }
    for (let i = start; i < events.length; i++) {
      if (this.#events.length === this.size) {
        this.#events.shift();
        this.#headSeq++;
        discarded++;
      }
      this.#events.push(events[i] as T);
    }
    // Dropped events at the head that were never in the buffer still advance
    // the sequence, so infos stored earlier keep their place.
    this.#headSeq += start;
    return discarded;
  }

  /** Stores an info that becomes ready once every event stored before it is taken. */
  storeInfo(info: unknown): void {
    this.#infos.push({ seq: this.#headSeq + this.#events.length, info });
  }

  /** Takes up to `max` events, stopping early at the position of the next info. */
  take(max: number): T[] {
    let limit = Math.min(max, this.#events.length);
    const next = this.#infos.peek();
    if (next !== undefined) limit = Math.min(limit, Math.max(0, next.seq - this.#headSeq));
    this.#headSeq += limit;
    return this.#events.take(limit);
  }

  /**
   * Puts events taken by {@link take} but not dispatched back at the front,
   * in order. They keep their places relative to infos.
   */
  restore(events: readonly T[]): void {
    for (let i = events.length - 1; i >= 0; i--) this.#events.unshift(events[i] as T);
    this.#headSeq -= events.length;
  }

  /** True when the next info has no events left in front of it. */
  hasReadyInfo(): boolean {
    const next = this.#infos.peek();
    return next !== undefined && next.seq <= this.#headSeq;
  }

  /** Removes and returns the next info, if it is ready. */
  takeReadyInfo(): { info: unknown } | undefined {
    if (!this.hasReadyInfo()) return undefined;
    const next = this.#infos.shift() as PendingInfo;
    return { info: next.info };
  }
}
