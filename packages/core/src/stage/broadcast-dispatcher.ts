/**
 * Every event goes to every consumer (GenStage's BroadcastDispatcher).
 *
 * Upstream demand is the minimum across consumers: the producer only makes
 * events that all of them have room for. When a consumer asks, the new
 * minimum is taken off every consumer's demand and added to `#waiting`, the
 * events asked upstream but not yet dispatched.
 *
 * A consumer that joins late skips the `#waiting` events asked before it
 * joined (GenStage would hand them over anyway, beyond what it asked for).
 * To give every consumer every event, start the producer with
 * `demand: 'accumulate'` and switch to `forward` once all have subscribed.
 *
 * A consumer may subscribe with a `selector`; events it rejects are not sent
 * to it but are re-asked on its behalf, so its demand stays truthful.
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
  demand: number;
  /** Events still to come that were asked before this consumer joined. */
  skip: number;
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
      demand: 0,
      skip: this.#waiting,
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
    entry.demand += count;
    return this.#release();
  }

  dispatch(events: T[], target: DispatchTarget<T, S>): T[] {
    if (this.#waiting === 0) return events;
    const take = Math.min(this.#waiting, events.length);
    const now = take === events.length ? events : events.slice(0, take);
    this.#waiting -= take;
    for (const entry of this.#entries) {
      let eligible = now;
      if (entry.skip > 0) {
        const skipped = Math.min(entry.skip, now.length);
        entry.skip -= skipped;
        eligible = now.slice(skipped);
      }
      let selected = eligible;
      if (entry.selector !== undefined) {
        selected = eligible.filter(entry.selector);
        const rejected = eligible.length - selected.length;
        if (rejected > 0) target.reask(entry.subscription, rejected);
      }
      if (selected.length > 0) target.deliver(entry.subscription, selected);
    }
    return take === events.length ? NONE : events.slice(take);
  }

  info(message: unknown, target: DispatchTarget<T, S>): void {
    target.info(message);
  }

  /** Moves the demand every consumer shares into `#waiting` and returns it. */
  #release(): number {
    if (this.#entries.length === 0) return 0;
    let min = Infinity;
    for (const e of this.#entries) if (e.demand < min) min = e.demand;
    if (min <= 0) return 0;
    for (const e of this.#entries) e.demand -= min;
    this.#waiting += min;
    return min;
  }
}
