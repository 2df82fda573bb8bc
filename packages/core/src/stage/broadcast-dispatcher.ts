/**
 * Every event goes to every consumer (GenStage's BroadcastDispatcher).
 *
 * Each consumer has `credit`, what it asked for and has not received, and
 * `committed`, the part of that credit already asked upstream on its
 * behalf. Upstream demand is the least uncommitted credit across consumers,
 * so the producer only makes events that every consumer has room for; it is
 * then committed for all of them and added to `#waiting`, the events asked
 * upstream and not yet dispatched.
 *
 * A consumer that joins while events are in flight receives them only
 * within its own credit (GenStage hands them over regardless, beyond what
 * the consumer asked for). To give every consumer every event, start the
 * producer with `demand: 'accumulate'` and switch to `forward` once all have
 * subscribed.
 *
 * A consumer may subscribe with a `selector`; events it rejects are not sent
 * and cost it no credit, and the producer re-checks upstream demand.
 */
import { SluiceError } from '../errors.ts';
import {
  NONE,
  type DispatchTarget,
  type Dispatcher,
  type DispatcherSubscribeOptions,
} from './dispatcher.ts';

interface Entry<T, S> {
  readonly subscription: S;
  readonly consumer: unknown;
  /** Asked for and not yet received. */
  credit: number;
  /** The part of `credit` already asked upstream. Never above `credit`. */
  committed: number;
  readonly selector: ((event: T) => boolean) | undefined;
}

/** Sends each event to every subscribed consumer, at the pace of the slowest. */
export class BroadcastDispatcher<T, S = unknown> implements Dispatcher<T, S> {
  #entries: Entry<T, S>[] = [];
  #waiting = 0;

  subscribe(
    subscription: S,
    options: DispatcherSubscribeOptions<T>,
    _target?: DispatchTarget<T, S>,
  ): number {
    const consumer = options.consumer ?? subscription;
    if (this.#entries.some((e) => e.subscription === subscription || e.consumer === consumer)) {
      throw new SluiceError(
        'ERR_ALREADY_SUBSCRIBED',
        'BroadcastDispatcher: this consumer is already subscribed; a consumer may subscribe to a broadcast producer once',
      );
    }
    if (options.selector !== undefined && typeof options.selector !== 'function') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `invalid subscription options: selector: expected a function, got ${typeof options.selector}`,
      );
    }
    this.#entries.push({
      subscription,
      consumer,
      credit: 0,
      committed: 0,
      selector: options.selector,
    });
    return 0;
  }

  cancel(subscription: S, _target?: DispatchTarget<T, S>): number {
    const index = this.#entries.findIndex((e) => e.subscription === subscription);
    if (index !== -1) this.#entries.splice(index, 1);
    return this.#release();
  }

  ask(subscription: S, count: number, _target?: DispatchTarget<T, S>): number {
    const entry = this.#entries.find((e) => e.subscription === subscription);
    if (entry === undefined) return 0;
    entry.credit += count;
    return this.#release();
  }

  dispatch(events: T[], target: DispatchTarget<T, S>): T[] {
    if (this.#waiting === 0) return events;
    const take = Math.min(this.#waiting, events.length);
    const now = take === events.length ? events : events.slice(0, take);
    this.#waiting -= take;
    let recheck: S | undefined;
    for (const entry of this.#entries) {
      let selected = now;
      if (entry.selector !== undefined) {
        selected = now.filter(entry.selector);
        if (selected.length < now.length) recheck = entry.subscription;
      }
      const sent = selected.length <= entry.credit ? selected : selected.slice(0, entry.credit);
      entry.credit -= sent.length;
      entry.committed = Math.min(entry.credit, Math.max(0, entry.committed - now.length));
      if (sent.length > 0) target.deliver(entry.subscription, sent);
    }
    // Rejected events freed committed credit: ask for upstream demand again.
    if (recheck !== undefined) target.reask(recheck, 0);
    return take === events.length ? NONE : events.slice(take);
  }

  info(message: unknown, target: DispatchTarget<T, S>): void {
    target.info(message);
  }

  /** Commits the credit every consumer shares and returns it as upstream demand. */
  #release(): number {
    if (this.#entries.length === 0) return 0;
    let min = Infinity;
    for (const e of this.#entries) min = Math.min(min, e.credit - e.committed);
    if (min <= 0) return 0;
    for (const e of this.#entries) e.committed += min;
    this.#waiting += min;
    return min;
  }
}
