/**
 * GenStage's automatic demand rule for one subscription, as pure state.
 *
 * On subscribe the consumer asks for `maxDemand`. Incoming events are handed
 * to `handleEvents` in chunks of at most `maxDemand - minDemand`. After each
 * chunk, if what is still pending has fallen to `minDemand` or below, the
 * consumer asks for enough to top it back up to `maxDemand`. With
 * maxDemand 10 / minDemand 5 a consumer asks 10, handles 5, asks 5, ...
 *
 * `pending` is the demand the consumer has announced and not yet received
 * (as planned, i.e. including asks that are sent after the current chunk).
 * Events beyond what was asked are counted as `excess`; they are handled
 * anyway (as GenStage does) but never count towards new demand.
 */
export class AutomaticDemand {
  readonly minDemand: number;
  readonly maxDemand: number;
  /** Announced demand not yet received. */
  pending = 0;
  /** Events received beyond what was asked, over the subscription's life. */
  excess = 0;

  constructor(minDemand: number, maxDemand: number) {
    this.minDemand = minDemand;
    this.maxDemand = maxDemand;
  }

  /** The first ask, sent when the subscription is made. */
  subscribe(): number {
    this.pending = this.maxDemand;
    return this.maxDemand;
  }

  /** The largest chunk handed to one `handleEvents` call. */
  get chunkSize(): number {
    return this.maxDemand - this.minDemand;
  }

  /**
   * Records that a chunk of `size` events was received and planned; returns
   * the demand to ask for once that chunk has been handled (0 for none).
   */
  consume(size: number): number {
    let counted = size;
    if (size > this.pending) {
      this.excess += size - this.pending;
      counted = this.pending;
    }
    this.pending -= counted;
    if (this.pending <= this.minDemand) {
      const ask = this.maxDemand - this.pending;
      this.pending = this.maxDemand;
      return ask;
    }
    return 0;
  }
}
