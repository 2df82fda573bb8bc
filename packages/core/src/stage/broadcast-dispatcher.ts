/**
 * Every event goes to every consumer (GenStage's BroadcastDispatcher).
 *
 * Each consumer has `demand`: what it asked for that is not yet counted in
 * `#waiting`. When every consumer has some, the least of them moves into
 * `#waiting`, the events that will go to all current consumers once they
 * arrive. `#requested` is what was asked upstream and not yet dispatched;
 * upstream is asked only for the part of `#waiting` it does not cover, so
 * events already on the way are never asked for twice.
 *
 * A consumer that subscribes resets `#waiting`: what was counted there goes
 * back to the demand of the consumers already subscribed, and events that
 * arrive before the newcomer asks are returned as leftovers, to be buffered.
 * Its first ask is then served from what is already on the way. So no
 * consumer ever receives more than it asked for, and a late subscriber gets
 * in-flight events only within its own demand. To give every consumer every
 * event, start the producer with `demand: 'accumulate'` and switch to
 * `forward` once all have subscribed.
 *
 * When the last consumer cancels, `#waiting` is reset too; events still on
 * the way come back as leftovers and wait in the buffer for a new consumer.
 *
 * A consumer may subscribe with a `selector`; events it rejects are not sent
 * to it, and their count is re-asked on its behalf (`reask`), so they cost
 * it no demand.
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
  /** Asked for and not yet counted in `#waiting`. */
  demand: number;
  readonly selector: ((event: T) => boolean) | undefined;
}

/** Sends each event to every subscribed consumer, at the pace of the slowest. */
export class BroadcastDispatcher<T, S = unknown> implements Dispatcher<T, S> {
  /** Leftovers wait in the producer's buffer and stay counted as asked upstream. */
  readonly leftoversCounted = true;
  #entries: Entry<T, S>[] = [];
  /** Events every current consumer has asked for and that were not yet dispatched. */
  #waiting = 0;
  /** Events asked upstream and not yet dispatched. Never below `#waiting`. */
  #requested = 0;

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
    // What was waiting was counted for the consumers already here: give it
    // back to them, so nothing is sent until the newcomer has asked too.
    if (this.#waiting > 0) {
      for (const e of this.#entries) e.demand += this.#waiting;
      this.#waiting = 0;
    }
    this.#entries.push({ subscription, consumer, demand: 0, selector: options.selector });
    return 0;
  }

  cancel(subscription: S, _target?: DispatchTarget<T, S>): number {
    const index = this.#entries.findIndex((e) => e.subscription === subscription);
    if (index !== -1) this.#entries.splice(index, 1);
    if (this.#entries.length === 0) {
      this.#waiting = 0;
      return 0;
    }
    // The consumer that held the others back may be gone: this can release demand.
    return this.#sync();
  }

  ask(subscription: S, count: number, _target?: DispatchTarget<T, S>): number {
    const entry = this.#entries.find((e) => e.subscription === subscription);
    if (entry === undefined) return 0;
    entry.demand += count;
    return this.#sync();
  }

  dispatch(events: T[], target: DispatchTarget<T, S>): T[] {
    if (this.#waiting === 0) return events;
    const take = Math.min(this.#waiting, events.length);
    const now = take === events.length ? events : events.slice(0, take);
    this.#waiting -= take;
    this.#requested -= take;
    for (const entry of this.#entries) {
      let selected = now;
      if (entry.selector !== undefined) {
        selected = now.filter(entry.selector);
        const rejected = now.length - selected.length;
        if (rejected > 0) target.reask(entry.subscription, rejected);
      }
      if (selected.length > 0) target.deliver(entry.subscription, selected);
    }
    return take === events.length ? NONE : events.slice(take);
  }

  info(message: unknown, target: DispatchTarget<T, S>): void {
    target.info(message);
  }

  /**
   * Moves the demand every consumer shares into `#waiting`, and returns the
   * part of `#waiting` that upstream was not asked for yet.
   */
  #sync(): number {
    let min = Infinity;
    for (const e of this.#entries) if (e.demand < min) min = e.demand;
    if (min > 0 && min !== Infinity) {
      for (const e of this.#entries) e.demand -= min;
      this.#waiting += min;
    }
    const request = Math.max(0, this.#waiting - this.#requested);
    this.#requested += request;
    return request;
  }
}
