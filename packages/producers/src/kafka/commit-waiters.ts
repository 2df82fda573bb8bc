/**
 * Kafka acks are known to have reached the group only once an offset
 * commit covers them. An ack's promise waits here until then, so the
 * pipeline counts a message as acked when Kafka will not deliver it again,
 * and a stop against a frozen broker reports the uncommitted ones as
 * un-acked. Pure bookkeeping, keyed by partition.
 */
interface Waiter {
  /** Resolves once the committed offset (Kafka's next-to-read) is past this one. */
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class CommitWaiters<P> {
  readonly #byPartition = new Map<P, Waiter[]>();

  /** Waits until `partition` is committed past `offset`. */
  wait(partition: P, offset: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let list = this.#byPartition.get(partition);
      if (list === undefined) this.#byPartition.set(partition, (list = []));
      list.push({ offset, resolve, reject });
    });
  }

  /** `partition` was committed up to `next` (the next offset to read). */
  committed(partition: P, next: number): void {
    const list = this.#byPartition.get(partition);
    if (list === undefined) return;
    const left: Waiter[] = [];
    for (const w of list) {
      if (w.offset < next) w.resolve();
      else left.push(w);
    }
    if (left.length === 0) this.#byPartition.delete(partition);
    else this.#byPartition.set(partition, left);
  }

  /** Fails every wait on `partition` (all partitions when omitted) with `error`. */
  fail(error: Error, partition?: P): void {
    for (const [p, list] of this.#byPartition) {
      if (partition !== undefined && p !== partition) continue;
      for (const w of list) w.reject(error);
      this.#byPartition.delete(p);
    }
  }
}
