/**
 * The buffered messages of one partition, split into ordering units, and
 * which of them may be handed out now. Pure: no timers, no I/O.
 *
 * An ordering unit is the partition itself (ordering 'partition') or one
 * Kafka key (ordering 'key'). A unit hands out its items in fetch order and
 * has at most `limit` of them in flight; the next one goes out only when
 * {@link PartitionQueue.done} frees a slot. With `limit` 1 a unit's items
 * are handled strictly one after the other, so a retried or halted item
 * holds back everything after it in its unit, and nothing else.
 */

interface Unit<T> {
  readonly name: string;
  readonly items: T[];
  head: number;
  inFlight: number;
  ready: boolean;
}

/** Per-unit FIFO queues of one partition, with a bounded number in flight per unit. */
export class PartitionQueue<T> {
  readonly #limit: number;
  readonly #weigh: (item: T) => number;
  readonly #units = new Map<string, Unit<T>>();
  #ready: Unit<T>[] = [];
  #readyHead = 0;
  #buffered = 0;
  #bufferedWeight = 0;
  #inFlight = 0;

  /**
   * @param limit the most items of one unit in flight at once (1, or Infinity)
   * @param weigh an item's weight (its bytes, say), summed in {@link bufferedWeight}
   */
  constructor(limit: number, weigh: (item: T) => number = () => 0) {
    this.#limit = limit;
    this.#weigh = weigh;
  }

  /** Items waiting to be handed out. */
  get buffered(): number {
    return this.#buffered;
  }

  /** The summed weight of the items waiting to be handed out. */
  get bufferedWeight(): number {
    return this.#bufferedWeight;
  }

  /** Items handed out and not yet {@link done}. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Units that have items buffered or in flight. */
  get units(): number {
    return this.#units.size;
  }

  /** Appends `item` to `unit`'s queue. */
  push(unit: string, item: T): void {
    let u = this.#units.get(unit);
    if (u === undefined) {
      u = { name: unit, items: [], head: 0, inFlight: 0, ready: false };
      this.#units.set(unit, u);
    }
    u.items.push(item);
    this.#buffered++;
    this.#bufferedWeight += this.#weigh(item);
    if (!u.ready && u.inFlight < this.#limit) this.#markReady(u);
  }

  /**
   * Hands out up to `max` items into `out`, fairly across ready units, each
   * unit in order. Returns how many were added.
   */
  take(max: number, out: T[]): number {
    let n = 0;
    while (n < max && this.#readyHead < this.#ready.length) {
      const u = this.#ready[this.#readyHead++] as Unit<T>;
      u.ready = false;
      // Take a run from this unit: as many as its limit and `max` allow.
      while (n < max && u.inFlight < this.#limit && u.head < u.items.length) {
        const item = u.items[u.head] as T;
        out.push(item);
        this.#bufferedWeight -= this.#weigh(item);
        u.items[u.head++] = undefined as T;
        u.inFlight++;
        this.#inFlight++;
        this.#buffered--;
        n++;
      }
      if (u.head === u.items.length) {
        u.items.length = 0;
        u.head = 0;
      } else if (u.head > 1024 && u.head * 2 > u.items.length) {
        u.items.splice(0, u.head);
        u.head = 0;
      }
      if (u.inFlight < this.#limit && u.head < u.items.length) this.#markReady(u);
    }
    this.#compactReady();
    return n;
  }

  /** One in-flight item of `unit` is finished; its next item may go out. */
  done(unit: string): void {
    const u = this.#units.get(unit);
    if (u === undefined || u.inFlight === 0) return;
    u.inFlight--;
    this.#inFlight--;
    if (u.head < u.items.length) {
      if (!u.ready) this.#markReady(u);
    } else if (u.inFlight === 0) {
      this.#units.delete(unit);
    }
  }

  /** Drops every buffered item (not those in flight) and returns how many. */
  clear(): number {
    const dropped = this.#buffered;
    for (const [name, u] of this.#units) {
      u.items.length = 0;
      u.head = 0;
      u.ready = false;
      if (u.inFlight === 0) this.#units.delete(name);
    }
    this.#ready = [];
    this.#readyHead = 0;
    this.#buffered = 0;
    this.#bufferedWeight = 0;
    return dropped;
  }

  #markReady(u: Unit<T>): void {
    u.ready = true;
    this.#ready.push(u);
  }

  #compactReady(): void {
    if (this.#readyHead === this.#ready.length) {
      this.#ready.length = 0;
      this.#readyHead = 0;
    } else if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
  }
}
