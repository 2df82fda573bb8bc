/**
 * Offset bookkeeping for one owned partition: which fetched offsets are done,
 * and how far the group may commit. Pure: no timers, no I/O.
 *
 * Offsets are registered in fetch order (increasing, possibly with gaps from
 * compaction or transaction markers). Acks may arrive in any order. The
 * commit point is Kafka's "next offset to read": the first registered offset
 * not yet acked, or one past the last registered offset once all are acked.
 * So a commit never passes a message that is still buffered, in flight,
 * retrying or halted.
 */

/** Tracks fetched and acked offsets of one partition for one owner. */
export class OffsetTracker {
  readonly topic: string;
  readonly partition: number;
  /** The group generation this owner last saw; kept partitions move to the new one. */
  generation: number;
  /** Registered offsets from `#head` on, in increasing order. */
  #offsets: number[] = [];
  #acked: boolean[] = [];
  #head = 0;
  /** One past the last offset popped off the front, once any was. */
  #passed: number | undefined;
  #last = -1;
  #committed: number | undefined;
  #closed = false;
  /** Offsets acked, ever. */
  ackedCount = 0;
  /** Offsets acked and passed at the front (all below {@link committable}), ever. */
  passedCount = 0;

  constructor(topic: string, partition: number, generation: number) {
    this.topic = topic;
    this.partition = partition;
    this.generation = generation;
  }

  /**
   * Records a fetched offset. Returns false, registering nothing, for an
   * offset at or below the last one registered: a refetch after a rebalance
   * delivers those again, and they are already buffered or done.
   */
  register(offset: number): boolean {
    if (this.#closed || offset <= this.#last) return false;
    this.#offsets.push(offset);
    this.#acked.push(false);
    this.#last = offset;
    return true;
  }

  /**
   * Marks `offset` done. Returns false for an offset never registered,
   * already acked, or when the tracker is closed (a late ack).
   */
  ack(offset: number): boolean {
    if (this.#closed) return false;
    const i = this.#indexOf(offset);
    if (i < 0 || this.#acked[i] === true) return false;
    this.#acked[i] = true;
    this.ackedCount++;
    if (i === this.#head) this.#advance();
    return true;
  }

  /** The offset to commit (next to read), or undefined before any fetch. */
  get committable(): number | undefined {
    if (this.#head < this.#offsets.length) return this.#offsets[this.#head];
    return this.#passed;
  }

  /**
   * The offset to commit were the offsets in `done` acked too (records
   * whose output sits in an open transaction), or undefined before any
   * fetch. Walks from the first unacked offset: as long as the gap.
   */
  committableWith(done: ReadonlySet<number>): number | undefined {
    if (done.size === 0) return this.committable;
    const offsets = this.#offsets;
    let i = this.#head;
    let passed = this.#passed;
    while (i < offsets.length) {
      const offset = offsets[i] as number;
      if (this.#acked[i] !== true && !done.has(offset)) return offset;
      passed = offset + 1;
      i++;
    }
    return passed;
  }

  /** True when {@link committable} is ahead of the last commit. */
  get needsCommit(): boolean {
    const c = this.committable;
    return c !== undefined && (this.#committed === undefined || c > this.#committed);
  }

  /** The last offset committed, through {@link markCommitted}. */
  get committed(): number | undefined {
    return this.#committed;
  }

  /** Records a successful commit of `offset`. */
  markCommitted(offset: number): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  /** Registered offsets not acked yet (buffered, in flight, retrying or halted). */
  get pending(): number {
    let n = 0;
    for (let i = this.#head; i < this.#offsets.length; i++) if (this.#acked[i] !== true) n++;
    return n;
  }

  /** The last offset registered, or -1. */
  get lastRegistered(): number {
    return this.#last;
  }

  /** The partition is no longer ours: every later register or ack is refused. */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #advance(): void {
    const offsets = this.#offsets;
    const acked = this.#acked;
    let head = this.#head;
    while (head < offsets.length && acked[head] === true) {
      this.#passed = (offsets[head] as number) + 1;
      this.passedCount++;
      head++;
    }
    if (head > 1024 && head * 2 > offsets.length) {
      this.#offsets = offsets.slice(head);
      this.#acked = acked.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  #indexOf(offset: number): number {
    const offsets = this.#offsets;
    let lo = this.#head;
    let hi = offsets.length - 1;
    if (lo > hi) return -1;
    // Offsets are usually consecutive: try the direct position first.
    const guess = lo + (offset - (offsets[lo] as number));
    if (guess >= lo && guess <= hi && offsets[guess] === offset) return guess;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = offsets[mid] as number;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
