/**
 * The emitter side of a stage (producers and producer-consumers), as a pure
 * state machine: the consumers subscribed to it, their dispatcher, the
 * buffer of events nobody has asked for yet, and the demand and emissions
 * held while in `accumulate` mode.
 *
 * It never calls a stage callback. Demand it cannot serve from the buffer
 * is returned to the stage, which calls `handleDemand` (a producer) or takes
 * in more events (a producer-consumer); deliveries and infos go out through
 * the {@link DispatchTarget}. So it is tested with a recording target, like
 * the dispatchers.
 */
import { Fifo } from '../internal/fifo.ts';
import type { EventBuffer } from './buffer.ts';
import type { DispatchTarget, Dispatcher } from './dispatcher.ts';
import type { DemandMode } from './types.ts';

/** What `accumulate` mode holds, replayed in order when switched to `forward`. */
export type Accumulated = { readonly demand: number } | { readonly events: readonly unknown[] };

export class Emitter<S extends object> {
  readonly dispatcher: Dispatcher<unknown, S>;
  readonly buffer: EventBuffer<unknown>;
  /** The subscriptions of the consumers currently subscribed. */
  readonly consumers = new Set<S>();
  /**
   * Demand downstream has announced that this stage has not met yet. Only a
   * producer-consumer keeps it (a producer hands demand to `handleDemand`):
   * it takes in upstream events while this is above zero.
   */
  unmet = 0;
  #mode: DemandMode;
  readonly #accumulated = new Fifo<Accumulated>();
  readonly #target: DispatchTarget<unknown, S>;

  constructor(
    dispatcher: Dispatcher<unknown, S>,
    buffer: EventBuffer<unknown>,
    mode: DemandMode,
    target: DispatchTarget<unknown, S>,
  ) {
    this.dispatcher = dispatcher;
    this.buffer = buffer;
    this.#mode = mode;
    this.#target = target;
  }

  /** `forward` or `accumulate`. */
  get mode(): DemandMode {
    return this.#mode;
  }

  /** True while asks and emissions are held (`accumulate` mode). */
  get accumulating(): boolean {
    return this.#mode === 'accumulate';
  }

  /** Items held in `accumulate` mode and not yet replayed. */
  get accumulatedCount(): number {
    return this.#accumulated.length;
  }

  setMode(mode: DemandMode): void {
    this.#mode = mode;
  }

  /**
   * Registers a consumer with the dispatcher; returns the demand to forward.
   * Throws what the dispatcher throws (the subscription is then not made).
   */
  subscribe(sub: S, options: object): number {
    const demand = this.dispatcher.subscribe(sub, options, this.#target);
    this.consumers.add(sub);
    return demand;
  }

  /** Removes a consumer; returns the demand to forward, or -1 if it was not subscribed. */
  cancel(sub: S): number {
    if (!this.consumers.delete(sub)) return -1;
    return this.dispatcher.cancel(sub, this.#target);
  }

  /** A consumer asked for `n`; returns the demand to forward upstream. */
  ask(sub: S, n: number): number {
    return this.dispatcher.ask(sub, n, this.#target);
  }

  /** Holds demand in `accumulate` mode. */
  holdDemand(demand: number): void {
    this.#accumulated.push({ demand });
  }

  /** The next held item to replay, or undefined when none is left. */
  nextAccumulated(): Accumulated | undefined {
    return this.#accumulated.shift();
  }

  /**
   * Serves new demand `counter` (from asks totalling `asked`) from the
   * buffer; returns what is left for the stage to produce: `counter` less
   * what the buffer sent, or all of `counter` when the dispatcher already
   * counted the buffered events (`leftoversCounted`).
   *
   * The buffer is offered up to `max(counter, asked)` events: when the
   * dispatcher answered an ask from demand already on the way (it returned
   * less than was asked), events buffered meanwhile go to the asker instead
   * of waiting for more demand.
   */
  serve(counter: number, asked: number): number {
    const buffer = this.buffer;
    if (buffer.count === 0 && buffer.infoCount === 0) return counter;
    const taken = this.#takeFromBuffer(Math.max(counter, asked));
    return this.dispatcher.leftoversCounted === true ? counter : Math.max(0, counter - taken);
  }

  /**
   * Emits events: dispatches what consumers asked for and buffers the rest
   * (in `accumulate` mode, holds them all). Events never overtake older
   * buffered ones.
   */
  emit(events: unknown[]): void {
    if (this.#mode === 'accumulate') {
      this.#accumulated.push({ events });
      return;
    }
    this.emitNow(events);
  }

  /** Emits events whatever the mode (a replay of held events). */
  emitNow(events: readonly unknown[]): void {
    const buffer = this.buffer;
    if (this.unmet > 0) this.unmet = Math.max(0, this.unmet - events.length);
    const leftover =
      buffer.count > 0 ? events : this.dispatcher.dispatch(events as unknown[], this.#target);
    if (leftover.length === 0) return;
    const discarded = buffer.store(leftover);
    if (discarded > 0) {
      this.#target.discard(
        discarded,
        `the buffer is full (bufferSize ${buffer.size}, bufferKeep '${buffer.keep}')`,
      );
      // An info whose events were all dropped is due now, not at the next ask.
      this.#releaseReadyInfos();
    }
  }

  /**
   * GenStage's `async_info`: `message` reaches the stage's `handleInfo` only
   * after every event buffered before it has been dispatched.
   */
  infoAfterBuffered(message: unknown): void {
    if (this.buffer.count > 0) this.buffer.storeInfo(message);
    else this.dispatcher.info(message, this.#target);
  }

  /** Dispatches up to `limit` buffered events and the infos they uncover; returns how many left. */
  #takeFromBuffer(limit: number): number {
    const buffer = this.buffer;
    let taken = 0;
    for (;;) {
      this.#releaseReadyInfos();
      if (taken >= limit || buffer.count === 0) break;
      const events = buffer.take(limit - taken);
      if (events.length === 0) break;
      const leftover = this.dispatcher.dispatch(events, this.#target);
      taken += events.length - leftover.length;
      if (leftover.length > 0) {
        buffer.restore(leftover);
        break;
      }
    }
    return taken;
  }

  #releaseReadyInfos(): void {
    for (let ready = this.buffer.takeReadyInfo(); ready !== undefined;) {
      this.dispatcher.info(ready.info, this.#target);
      ready = this.buffer.takeReadyInfo();
    }
  }
}
