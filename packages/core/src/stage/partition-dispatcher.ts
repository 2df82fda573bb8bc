/**
 * Routes each event to one partition, with exactly one consumer per
 * partition (GenStage's PartitionDispatcher). Events with the same hash go to
 * the same consumer, in the order the producer emitted them.
 *
 * Upstream demand is the sum of the partitions' asks (less `#pending`, the
 * unmet demand of cancelled consumers). `#waiting` counts the events still to
 * be routed for that demand: a dispatch routes events by `hash` until
 * `#waiting` of them found a partition, and returns the rest as leftovers. A
 * partition with no demand queues its events until its consumer asks. A
 * skewed hash therefore queues the hot partition's excess here, and the slow
 * partition holds back the rest: keep hashes even.
 *
 * Events the hash discards count for no partition, so they do not reduce
 * `#waiting`, but they did use up what was asked upstream (`#requested`).
 * Unlike GenStage, which stalls once discards have used up the demand, the
 * difference is asked upstream again: at once, through `reask(subscription,
 * 0)` on behalf of any subscribed consumer, or with the next ask.
 *
 * Unlike GenStage, a cancelled partition keeps its queue: the consumer that
 * takes the partition over receives those events, and infos queued behind
 * them wait for it. (GenStage drops them and asks upstream for as many.)
 *
 * {@link PartitionDispatcher.repartition} changes the partition count while
 * no consumer is subscribed (a pipeline resizing a partitioned processor
 * group): the queued events are routed again by the new hash.
 */
import type { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { Fifo } from '../internal/fifo.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';
import { parseOptions, show, zFunction } from '../options/parse.ts';
import { lazily, zod } from '../options/zod.ts';
import {
  NONE,
  type DispatchTarget,
  type Dispatcher,
  type DispatcherSubscribeOptions,
  type PartitionName,
} from './dispatcher.ts';

/** {@link PartitionDispatcher}'s options. */
export const partitionDispatcherSchema = lazily(() => {
  const z = zod();
  const partitionName = z.union([z.string(), z.int()]);
  return z
    .object({
      partitions: z
        .union([
          z.int().positive({ error: 'expected a positive integer or a non-empty array of names' }),
          z
            .array(partitionName)
            .min(1, { error: 'expected a non-empty array of partition names' })
            .readonly(),
        ])
        .meta({
          description: 'A partition count `n` (partitions `0..n-1`), or the partition names.',
        }),
      hash: zFunction<(event: unknown) => PartitionName | null | undefined>().optional().meta({
        description:
          'Maps an event to its partition; `undefined` or `null` discards it (reported as discarded). Required when partitions are named; a hash of the event, modulo the partition count, when unset.',
      }),
    })
    .strict()
    .refine(
      (o) => typeof o.partitions === 'number' || new Set(o.partitions).size === o.partitions.length,
      {
        message: 'partition names must be unique',
        path: ['partitions'],
      },
    )
    .refine((o) => typeof o.partitions === 'number' || o.hash !== undefined, {
      message: 'a hash function is required when partitions are named',
      path: ['hash'],
    });
});

/** Options of {@link PartitionDispatcher}. `T` is the type of the events. */
export interface PartitionDispatcherOptions<T> extends Omit<
  z.input<ReturnType<typeof partitionDispatcherSchema>>,
  'hash'
> {
  /** Maps an event to its partition; `undefined` or `null` discards it. */
  readonly hash?: ((event: T) => PartitionName | null | undefined) | undefined;
}

type _Agrees = Assert<
  Agrees<PartitionDispatcherOptions<unknown>, z.input<ReturnType<typeof partitionDispatcherSchema>>>
>;

interface Partition<T, S> {
  readonly name: PartitionName;
  subscription: S | undefined;
  demand: number;
  readonly queue: Fifo<T>;
  /** Events ever queued, and ever sent from the queue: infos wait on these. */
  queued: number;
  dequeued: number;
  /** Events routed here by the dispatch in progress (reused, never shared). */
  outgoing: T[] | undefined;
}

interface PendingInfo<T, S> {
  readonly message: unknown;
  readonly waitFor: ReadonlyArray<readonly [Partition<T, S>, number]>;
}

/** Sends each event to the consumer that owns its partition. */
export class PartitionDispatcher<T, S = unknown> implements Dispatcher<T, S> {
  /** Leftovers wait in the producer's buffer and stay counted as asked upstream. */
  readonly leftoversCounted = true;
  #partitions = new Map<PartitionName, Partition<T, S>>();
  /** The same partitions by index, when they are named 0..n-1: cheaper than the Map per event. */
  #byIndex: (Partition<T, S> | undefined)[] = [];
  readonly #bySubscription = new Map<S, Partition<T, S>>();
  #hash: (event: T) => PartitionName | null | undefined;
  #infos: PendingInfo<T, S>[] = [];
  /** Events to route to partitions for the demand asked so far. */
  #waiting = 0;
  /** Unmet demand of cancelled consumers, already asked upstream. */
  #pending = 0;
  /** Events asked upstream and not yet dispatched (routed or discarded). */
  #requested = 0;

  constructor(options: PartitionDispatcherOptions<T>) {
    const parsed = parseOptions(
      partitionDispatcherSchema(),
      options,
      'PartitionDispatcher options',
    );
    const names =
      typeof parsed.partitions === 'number' ? range(parsed.partitions) : parsed.partitions;
    this.#setPartitions(names);
    const count = names.length;
    this.#hash =
      (parsed.hash as PartitionDispatcherOptions<T>['hash']) ??
      ((event: T) => defaultHash(event) % count);
  }

  #setPartitions(names: readonly PartitionName[]): void {
    this.#partitions = new Map();
    this.#byIndex = [];
    for (const n of names) {
      const partition: Partition<T, S> = {
        name: n,
        subscription: undefined,
        demand: 0,
        queue: new Fifo(),
        queued: 0,
        dequeued: 0,
        outgoing: undefined,
      };
      this.#partitions.set(n, partition);
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 1 << 20) {
        this.#byIndex[n] = partition;
      }
    }
  }

  /**
   * Replaces the partitions by `count` new ones, `0..count-1`, routed by
   * `hash` (by default a hash of the event modulo `count`). Allowed only
   * while no consumer is subscribed, so no event is in flight to a
   * consumer of an old partition. The events queued for the old partitions
   * are routed again, each old queue in its order: events that shared a
   * partition before keep their relative order if they share one again.
   * Infos still waiting then wait for every new partition that holds
   * events. Throws a SluiceError, changing nothing, when a consumer is
   * subscribed or `hash` gives a queued event no partition.
   */
  repartition(count: number, hash?: (event: T) => number): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `PartitionDispatcher repartition: partitions: expected a positive integer, got ${show(count)}`,
      );
    }
    if (this.#bySubscription.size > 0) {
      throw new SluiceError(
        'ERR_PIPELINE_STATE',
        `PartitionDispatcher repartition: ${this.#bySubscription.size} consumers are still subscribed; every consumer must cancel first`,
      );
    }
    const route = hash ?? ((event: T) => defaultHash(event) % count);
    // Route every queued event first, so a bad hash changes nothing.
    const keys: number[] = [];
    for (const p of this.#partitions.values()) {
      for (const event of p.queue) {
        const key = route(event);
        if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= count) {
          throw new SluiceError(
            'ERR_UNKNOWN_PARTITION',
            `PartitionDispatcher repartition: the hash returned ${show(key)} for a queued event; expected an integer 0..${count - 1}`,
          );
        }
        keys.push(key);
      }
    }
    const old = [...this.#partitions.values()];
    this.#setPartitions(range(count));
    this.#hash = route;
    let i = 0;
    for (const p of old) {
      for (const event of p.queue.drain()) {
        const to = this.#byIndex[keys[i++] as number] as Partition<T, S>;
        to.queue.push(event);
        to.queued++;
      }
    }
    const holding: (readonly [Partition<T, S>, number])[] = [];
    for (const p of this.#partitions.values()) if (p.queue.length > 0) holding.push([p, p.queued]);
    this.#infos = this.#infos.map((info) => ({ message: info.message, waitFor: holding }));
  }

  /** The partition names, in order. */
  get partitions(): PartitionName[] {
    return [...this.#partitions.keys()];
  }

  validateSubscription(options: DispatcherSubscribeOptions<T>): void {
    this.#lookup(options.partition);
  }

  subscribe(subscription: S, options: DispatcherSubscribeOptions<T>): number {
    const wanted = options.partition;
    const partition = this.#lookup(wanted);
    if (partition.subscription !== undefined) {
      throw new SluiceError(
        'ERR_PARTITION_TAKEN',
        `invalid subscription options: partition: ${show(wanted)} is already taken by another consumer`,
      );
    }
    partition.subscription = subscription;
    this.#bySubscription.set(subscription, partition);
    return this.#sync();
  }

  #lookup(wanted: PartitionName | undefined): Partition<T, S> {
    if (wanted === undefined) {
      throw new SluiceError(
        'ERR_UNKNOWN_PARTITION',
        `invalid subscription options: partition: required by PartitionDispatcher, expected one of ${this.#known()}`,
      );
    }
    const partition = this.#partitions.get(wanted);
    if (partition === undefined) {
      throw new SluiceError(
        'ERR_UNKNOWN_PARTITION',
        `invalid subscription options: partition: expected one of ${this.#known()}, got ${show(wanted)}`,
      );
    }
    return partition;
  }

  cancel(subscription: S): number {
    const partition = this.#bySubscription.get(subscription);
    if (partition === undefined) return 0;
    this.#bySubscription.delete(subscription);
    partition.subscription = undefined;
    this.#pending += partition.demand;
    partition.demand = 0;
    return this.#sync();
  }

  ask(subscription: S, count: number, target: DispatchTarget<T, S>): number {
    const partition = this.#bySubscription.get(subscription);
    if (partition === undefined) return 0;
    let demand = count;
    if (partition.queue.length > 0 && count > 0) {
      const events = partition.queue.take(count);
      partition.dequeued += events.length;
      demand -= events.length;
      target.deliver(subscription, events);
      this.#flushInfos(target);
    }
    partition.demand += demand;
    const alreadySent = Math.min(this.#pending, count);
    this.#pending -= alreadySent;
    this.#waiting += count - alreadySent;
    return this.#sync();
  }

  dispatch(events: T[], target: DispatchTarget<T, S>): T[] {
    if (this.#waiting === 0 || events.length === 0) return events;
    const touched: Partition<T, S>[] = [];
    let discarded = 0;
    let i = 0;
    for (; i < events.length && this.#waiting > 0; i++) {
      const event = events[i] as T;
      const key = this.#hash(event);
      if (key === undefined || key === null) {
        discarded++;
        continue;
      }
      this.#waiting--;
      const partition =
        (typeof key === 'number' ? this.#byIndex[key] : undefined) ?? this.#partitions.get(key);
      if (partition === undefined) {
        throw new SluiceError(
          'ERR_UNKNOWN_PARTITION',
          `PartitionDispatcher hash returned an unknown partition ${show(key)}; expected one of ${this.#known()}`,
        );
      }
      if (partition.demand > 0 && partition.queue.length === 0) {
        partition.demand--;
        if (partition.outgoing === undefined) {
          partition.outgoing = [event];
          touched.push(partition);
        } else {
          partition.outgoing.push(event);
        }
      } else {
        partition.queue.push(event);
        partition.queued++;
      }
    }
    for (const partition of touched) {
      const list = partition.outgoing as T[];
      partition.outgoing = undefined;
      target.deliver(partition.subscription as S, list);
    }
    this.#requested = Math.max(0, this.#requested - i);
    if (discarded > 0) {
      target.discard(discarded, 'the partition hash returned none');
      this.#reaskDiscarded(target);
    }
    return i === events.length ? NONE : events.slice(i);
  }

  /**
   * Discarded events used up upstream demand that routed events still need:
   * has the stage ask again, on behalf of any consumer (an ask of 0 only
   * runs {@link ask}'s `#sync`). With no consumer, the next subscribe or ask
   * returns it.
   */
  #reaskDiscarded(target: DispatchTarget<T, S>): void {
    if (this.#waiting <= this.#requested) return;
    const any = this.#bySubscription.keys().next();
    if (any.done !== true) target.reask(any.value, 0);
  }

  /** Returns the part of `#waiting` upstream was not asked for yet, and counts it asked. */
  #sync(): number {
    const request = Math.max(0, this.#waiting - this.#requested);
    this.#requested += request;
    return request;
  }

  info(message: unknown, target: DispatchTarget<T, S>): void {
    const waitFor: (readonly [Partition<T, S>, number])[] = [];
    for (const p of this.#partitions.values()) if (p.queue.length > 0) waitFor.push([p, p.queued]);
    this.#infos.push({ message, waitFor });
    this.#flushInfos(target);
  }

  /** Delivers, in order, every info whose partitions have flushed what they held. */
  #flushInfos(target: DispatchTarget<T, S>): void {
    while (this.#infos.length > 0) {
      const next = this.#infos[0] as PendingInfo<T, S>;
      if (!next.waitFor.every(([p, upTo]) => p.dequeued >= upTo)) return;
      this.#infos.shift();
      target.info(next.message);
    }
  }

  #known(): string {
    const names = [...this.#partitions.keys()];
    const head = names.slice(0, 10).map((n) => show(n));
    return names.length > 10
      ? `${head.join(', ')}, … (${names.length} partitions)`
      : head.join(', ');
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * A fast, stable, non-negative hash of numbers, strings and other values.
 * Integers are mixed (murmur3's finalizer), so strided keys such as even
 * numbers still spread over every partition.
 */
export function defaultHash(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    let h = value >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
