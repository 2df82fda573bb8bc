/**
 * Which processor handles each keyed message (ordering 'key').
 *
 * A key's order needs no fixed processor: the producer never has two
 * messages of one key out at once, so the next one goes out only after the
 * previous one was handled and acked, wherever that was. Hashing keys to
 * processors left handlers idle: a processor with few keys ran out of work
 * while one with many had a queue (1,000 keys over 100 processors gave on
 * average 47 busy handlers), and the buffer, full of the slow processors'
 * keys, held back the rest. So each message goes to the processor with the
 * fewest messages out, an idle one first; the producer's `partitionBy`
 * returns that choice.
 */
import type { Message } from '@sluice/core';
import type { Entry } from './partition-state.ts';

export class ProcessorSlots {
  #out: Int32Array;
  #cursor = 0;

  /** @param count the processors */
  constructor(count: number) {
    this.#out = new Int32Array(count);
  }

  /** The processor for the next message: an idle one (from a rotating start), else the least busy. */
  pick(): number {
    const out = this.#out;
    const n = out.length;
    let best = this.#cursor;
    let least = Infinity;
    for (let i = 0, p = this.#cursor; i < n; i++, p = p + 1 === n ? 0 : p + 1) {
      const o = out[p] as number;
      if (o < least) {
        best = p;
        least = o;
        if (o === 0) break;
      }
    }
    this.#cursor = best + 1 === n ? 0 : best + 1;
    out[best] = least + 1;
    return best;
  }

  /**
   * The processor group was resized (`pipeline.resize`): picks range over
   * `count` processors from now on. Counts of the ones that stay are kept;
   * an ack for a processor that is gone changes nothing.
   */
  resize(count: number): void {
    const out = new Int32Array(count);
    out.set(this.#out.subarray(0, Math.min(count, this.#out.length)));
    this.#out = out;
    if (this.#cursor >= count) this.#cursor = 0;
  }

  /** A message of `processor` was acked. */
  released(processor: number): void {
    const o = this.#out[processor];
    if (o !== undefined && o > 0) this.#out[processor] = o - 1;
  }

  /** These messages were acked, successful or failed (a retry is picked again). */
  acked(...lists: readonly (readonly Message[])[]): void {
    for (const list of lists) for (const m of list) this.released((m.ackData as Entry).processor);
  }

  /** Messages out to `processor` (handed out, not acked). */
  out(processor: number): number {
    return this.#out[processor] ?? 0;
  }
}
