/**
 * The receiver side of a stage (consumers and producer-consumers): its
 * links to upstream producers, each with GenStage's automatic demand rule or
 * manual demand, and a producer-consumer's inbound queue.
 *
 * Pure state: the stage asks it how to cut incoming events into chunks and
 * what to ask for after each, then runs `handleEvents` itself.
 */
import { Fifo } from '../internal/fifo.ts';
import { AutomaticDemand } from './demand.ts';
import type { Sub } from './protocol.ts';
import type { Cancellation } from './types.ts';

/** A subscription as the consumer side tracks it. */
export interface UpstreamLink {
  readonly sub: Sub;
  /** The automatic demand rule, or null for a manual subscription. */
  demand: AutomaticDemand | null;
  /** Demand announced on a manual subscription and not yet received. */
  manualPending: number;
}

/** An item of a producer-consumer's inbound queue, handled only while downstream has demand. */
export type InboundItem =
  | { readonly t: 'events'; readonly sub: Sub; readonly events: unknown[] }
  | { readonly t: 'info'; readonly message: unknown }
  | { readonly t: 'cancel'; readonly sub: Sub; readonly cancellation: Cancellation };

export class Receiver {
  /** Live subscriptions to producers, by subscription. */
  readonly links = new Map<Sub, UpstreamLink>();
  /** A producer-consumer's inbound items waiting for downstream demand. */
  readonly inbound = new Fifo<InboundItem>();
  /** Set by {@link nextChunk}: the demand to ask for once the chunk is handled. */
  chunkAsk = 0;
  /** Set by {@link nextChunk}: the offset just past the chunk. */
  chunkEnd = 0;
  /** Set by {@link nextChunk}: events in the chunk beyond the link's demand. */
  chunkExcess = 0;

  /** Records a new subscription, manual until {@link automatic} is called. */
  add(sub: Sub): UpstreamLink {
    const link: UpstreamLink = { sub, demand: null, manualPending: 0 };
    this.links.set(sub, link);
    return link;
  }

  /** Switches `link` to automatic demand; returns its first ask (`maxDemand`). */
  automatic(link: UpstreamLink): number {
    const { minDemand, maxDemand } = link.sub.options;
    link.demand = new AutomaticDemand(minDemand, maxDemand);
    return link.demand.subscribe();
  }

  /** Records a manual ask of `count` on `link`. */
  askManually(link: UpstreamLink, count: number): void {
    if (link.demand === null) link.manualPending += count;
  }

  /**
   * Cuts the next chunk of `events` from `offset`: the whole rest for a
   * manual link, at most `maxDemand - minDemand` for an automatic one.
   * Returns the chunk and sets {@link chunkEnd}, {@link chunkAsk} and
   * {@link chunkExcess}.
   */
  nextChunk(link: UpstreamLink, events: unknown[], offset: number): unknown[] {
    const length = events.length;
    const demand = link.demand;
    if (demand === null) {
      const batch = offset === 0 ? events : events.slice(offset);
      this.chunkEnd = length;
      this.chunkAsk = 0;
      this.chunkExcess = Math.max(0, batch.length - link.manualPending);
      link.manualPending = Math.max(0, link.manualPending - batch.length);
      return batch;
    }
    const size = Math.min(demand.chunkSize, length - offset);
    const batch = offset === 0 && size === length ? events : events.slice(offset, offset + size);
    const excessBefore = demand.excess;
    this.chunkEnd = offset + size;
    this.chunkAsk = demand.consume(size);
    this.chunkExcess = demand.excess - excessBefore;
    return batch;
  }
}
