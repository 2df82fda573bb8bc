/**
 * The unsettled deliveries of one channel, and the coalescing of their
 * settlements into as few wire operations as order allows.
 *
 * Invariants:
 * - Delivery tags are tracked in delivery order (ascending, as the broker
 *   assigns them per channel). Every delivery stays tracked until a wire
 *   operation covering it has been returned by {@link DeliveryTracker.flush}.
 * - A `multiple` operation covers every unsettled tag up to its own, so it is
 *   only used for a run at the head of the channel in which every tag has the
 *   same decision. Decided tags behind an undecided one are settled one by
 *   one: holding them back would keep prefetch slots busy behind a slow
 *   message.
 * - Pure: no channel, no timers. The producer sends what `flush` returns.
 */
import type { WireOp } from './ack-policy.ts';

/** One basic.ack, basic.reject or basic.nack to send. */
export interface WireCommand {
  readonly op: WireOp;
  readonly deliveryTag: number;
  /** Covers every unsettled delivery up to `deliveryTag`. */
  readonly multiple: boolean;
  /** How many deliveries the command settles. */
  readonly count: number;
}

const UNDECIDED = 0;

/** Tracks one channel's deliveries; see the file header. */
export class DeliveryTracker {
  /** Unsettled tags in delivery order, with their decision once made. */
  readonly #unsettled = new Map<number, WireOp | typeof UNDECIDED>();
  /** Tags decided since the last flush, in decision order. */
  #decided: number[] = [];

  /** Deliveries not yet covered by a flushed command. */
  get unsettled(): number {
    return this.#unsettled.size;
  }

  /** Decisions waiting for the next {@link flush}. */
  get waiting(): number {
    return this.#decided.length;
  }

  /** A delivery arrived. */
  deliver(deliveryTag: number): void {
    this.#unsettled.set(deliveryTag, UNDECIDED);
  }

  /**
   * Records the decision for `deliveryTag`. Returns false, changing nothing,
   * when the tag is unknown or already decided (an ack must never be sent twice).
   */
  settle(deliveryTag: number, op: WireOp): boolean {
    if (this.#unsettled.get(deliveryTag) !== UNDECIDED) return false;
    this.#unsettled.set(deliveryTag, op);
    this.#decided.push(deliveryTag);
    return true;
  }

  /** The wire commands for every decision made since the last flush. */
  flush(): WireCommand[] {
    const out: WireCommand[] = [];
    if (this.#decided.length === 0) return out;
    const unsettled = this.#unsettled;
    // Runs of equal decisions at the head: one `multiple` command each.
    let runOp: WireOp | undefined;
    let runLast = 0;
    let runCount = 0;
    const covered: number[] = [];
    for (const [tag, op] of unsettled) {
      if (op === UNDECIDED) break;
      if (runOp !== undefined && op !== runOp) {
        out.push(command(runOp, runLast, runCount));
        runCount = 0;
      }
      runOp = op;
      runLast = tag;
      runCount++;
      covered.push(tag);
    }
    if (runOp !== undefined) out.push(command(runOp, runLast, runCount));
    for (const tag of covered) unsettled.delete(tag);
    // Decided tags behind an undecided one: one by one.
    for (const tag of this.#decided) {
      const op = unsettled.get(tag);
      if (op === undefined || op === UNDECIDED) continue;
      out.push({ op, deliveryTag: tag, multiple: false, count: 1 });
      unsettled.delete(tag);
    }
    this.#decided = [];
    return out;
  }

  /**
   * Forgets every delivery: the channel is gone and the broker requeues what
   * it had not settled. Returns how many decisions were still unsent.
   */
  clear(): number {
    const dropped = this.#decided.length;
    this.#unsettled.clear();
    this.#decided = [];
    return dropped;
  }
}

function command(op: WireOp, deliveryTag: number, count: number): WireCommand {
  return { op, deliveryTag, multiple: count > 1, count };
}
