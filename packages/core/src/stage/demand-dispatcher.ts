/**
 * GenStage's default policy: each batch of events goes to the consumer with
 * the most outstanding demand, then the next, until demand or events run out.
 * Consumers with equal demand are served in subscription order (FIFO), which
 * is why `shuffleDemandsOnFirstDispatch` exists: without it, the first
 * consumer to subscribe takes the whole first batch.
 *
 * Invariant: `#entries` is sorted by `demand`, highest first, FIFO among ties.
 * A cancelled consumer's unmet demand goes to `#pending`, and later asks are
 * reduced by it, so upstream is never asked twice for the same events.
 * Events a dispatch returns as leftovers are taken off `#pending`: they are
 * the events it was waiting for, now buffered.
 */
import { NONE, type DispatchTarget, type Dispatcher } from './dispatcher.ts';
import { parseOptions, zFunction } from '../options/parse.ts';
import type { z } from 'zod';
import { lazily, zod } from '../options/zod.ts';

/** {@link DemandDispatcher}'s options. */
export const demandDispatcherSchema = lazily(() => {
  const z = zod();
  return z
    .object({
      shuffleDemandsOnFirstDispatch: z.boolean().default(false).meta({
        description:
          'Shuffle the consumers once, before the first dispatch, so the first one to subscribe is not flooded. Broadway turns this on for its processors.',
      }),
      maxDemand: z.int().positive().optional().meta({
        description:
          'The largest ask expected from one consumer (the first ask seen when unset): a bigger one logs a warning, since unequal demands overload the greedy consumer.',
      }),
      random: zFunction<() => number>().optional().meta({
        description: 'The random source for the shuffle, in [0, 1); `Math.random` when unset.',
      }),
    })
    .strict();
});

/** Options of {@link DemandDispatcher}. */
export type DemandDispatcherOptions = z.input<ReturnType<typeof demandDispatcherSchema>>;

interface Entry<S> {
  readonly subscription: S;
  demand: number;
}

/** Sends events to the consumer with the most demand. The default dispatcher. */
export class DemandDispatcher<T, S = unknown> implements Dispatcher<T, S> {
  #entries: Entry<S>[] = [];
  #pending = 0;
  #maxDemand: number | undefined;
  #shuffle: boolean;
  #warned = false;
  readonly #random: () => number;

  constructor(options: DemandDispatcherOptions = {}) {
    const parsed = parseOptions(demandDispatcherSchema(), options, 'DemandDispatcher options');
    this.#shuffle = parsed.shuffleDemandsOnFirstDispatch;
    this.#maxDemand = parsed.maxDemand;
    this.#random = parsed.random ?? Math.random;
  }

  subscribe(subscription: S): number {
    this.#entries.push({ subscription, demand: 0 });
    return 0;
  }

  cancel(subscription: S): number {
    const index = this.#entries.findIndex((e) => e.subscription === subscription);
    if (index !== -1) {
      this.#pending += (this.#entries[index] as Entry<S>).demand;
      this.#entries.splice(index, 1);
    }
    return 0;
  }

  ask(subscription: S, count: number, target: DispatchTarget<T, S>): number {
    if (this.#maxDemand === undefined) {
      this.#maxDemand = count;
    } else if (count > this.#maxDemand && !this.#warned) {
      this.#warned = true;
      target.warn(
        `DemandDispatcher expects a maximum demand of ${this.#maxDemand}, got an ask of ${count}; ` +
          'using different maximum demands will overload greedy consumers',
        'WARN_DEMAND_MISMATCH',
      );
    }
    const index = this.#indexOf(subscription);
    if (index === -1) return 0;
    const entry = this.#entries[index] as Entry<S>;
    entry.demand += count;
    this.#moveUp(index);
    const alreadySent = Math.min(this.#pending, count);
    this.#pending -= alreadySent;
    return count - alreadySent;
  }

  dispatch(events: T[], target: DispatchTarget<T, S>): T[] {
    if (this.#shuffle) {
      this.#shuffle = false;
      shuffle(this.#entries, this.#random);
    }
    const length = events.length;
    let offset = 0;
    while (offset < length) {
      const head = this.#entries[0];
      if (head === undefined || head.demand === 0) break;
      const take = Math.min(head.demand, length - offset);
      const chunk = offset === 0 && take === length ? events : events.slice(offset, offset + take);
      head.demand -= take;
      offset += take;
      this.#moveDown(0);
      target.deliver(head.subscription, chunk);
    }
    if (offset === length) return NONE;
    // Events no consumer takes go to the buffer: they are the ones a
    // cancelled consumer's demand was waiting for, so later asks need not
    // be reduced by them any more.
    this.#pending = Math.max(0, this.#pending - (length - offset));
    return offset === 0 ? events : events.slice(offset);
  }

  info(message: unknown, target: DispatchTarget<T, S>): void {
    target.info(message);
  }

  #indexOf(subscription: S): number {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      if ((entries[i] as Entry<S>).subscription === subscription) return i;
    }
    return -1;
  }

  /**
   * The entry at `index` gained demand: move it before every entry with
   * strictly less (it stays behind equal ones, which asked first).
   * In place, without allocating: this runs on every ask.
   */
  #moveUp(index: number): void {
    const entries = this.#entries;
    const entry = entries[index] as Entry<S>;
    let i = index;
    while (i > 0 && (entries[i - 1] as Entry<S>).demand < entry.demand) {
      entries[i] = entries[i - 1] as Entry<S>;
      i--;
    }
    entries[i] = entry;
  }

  /** The entry at `index` lost demand: move it after every entry with at least as much. */
  #moveDown(index: number): void {
    const entries = this.#entries;
    const entry = entries[index] as Entry<S>;
    let i = index;
    while (i + 1 < entries.length && (entries[i + 1] as Entry<S>).demand >= entry.demand) {
      entries[i] = entries[i + 1] as Entry<S>;
      i++;
    }
    entries[i] = entry;
  }
}

function shuffle<E>(items: E[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as E;
    items[i] = items[j] as E;
    items[j] = tmp;
  }
}
