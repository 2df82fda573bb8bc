/**
 * Per-stage counters for the live page and `sluice top`: what each
 * processor group and batcher has handled, failed and holds, and how full
 * the batches were. Counted from the pipeline's telemetry channels (one
 * event per chunk and per batch, not per message), and only while an
 * admin server runs: an unobserved pipeline does not publish them at all.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  pipelineChannels,
  type BatchProcessorStopEvent,
  type BatcherStartEvent,
  type Pipeline,
  type ProcessorStartEvent,
  type ProcessorStopEvent,
} from '@sluice/core';

/** One stage group's counters, as `/stats` reports them under `stages`. */
export interface StageStats {
  /** Its name in `pipeline.topology()`, e.g. `orders.processor.default`. */
  readonly name: string;
  readonly kind: 'producer' | 'processor' | 'batcher';
  /** Its concurrency in force (after any resize). */
  readonly concurrency: number;
  /** Messages it finished (successful or failed), since the admin server started. */
  readonly handled: number;
  /** Of those, failed. */
  readonly failed: number;
  /** Messages it holds now: being handled, or (a batcher) in open or waiting batches. */
  readonly inFlight: number;
  /** Batchers: batches run, and their mean size as a fraction of `batchSize` (0 to 1). */
  readonly batches?: number;
  readonly batchFill?: number;
  /** Batchers: the configured batch size (`custom` for a batchSize function). */
  readonly batchSize?: number | 'custom';
}

interface Counts {
  handled: number;
  failed: number;
  started: number;
  batches: number;
  fill: number;
}

const zero = (): Counts => ({ handled: 0, failed: 0, started: 0, batches: 0, fill: 0 });

/** Counts the stage events of `pipeline` until {@link StageCounters.close}. */
export class StageCounters {
  readonly #pipeline: Pipeline;
  readonly #processors = new Map<string, Counts>();
  readonly #batchers = new Map<string, Counts>();
  readonly #listeners: [string, (event: unknown) => void][];

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
    const mine = <E extends { pipeline: string }>(fn: (e: E) => void) => {
      return (event: unknown) => {
        if ((event as E).pipeline === pipeline.name) fn(event as E);
      };
    };
    const of = (map: Map<string, Counts>, key: string): Counts => {
      let c = map.get(key);
      if (c === undefined) map.set(key, (c = zero()));
      return c;
    };
    this.#listeners = [
      [
        pipelineChannels.processorStart,
        mine<ProcessorStartEvent>((e) => {
          of(this.#processors, e.processor).started += e.messages.length;
        }),
      ],
      [
        pipelineChannels.processorStop,
        mine<ProcessorStopEvent>((e) => {
          const c = of(this.#processors, e.processor);
          const n = e.successfulToAck.length + e.successfulToForward.length + e.failed.length;
          c.handled += n;
          c.failed += e.failed.length;
        }),
      ],
      [
        pipelineChannels.batcherStart,
        mine<BatcherStartEvent>((e) => {
          of(this.#batchers, e.batcher).started += e.messages.length;
        }),
      ],
      [
        pipelineChannels.batchProcessorStop,
        mine<BatchProcessorStopEvent>((e) => {
          const c = of(this.#batchers, e.batcher);
          c.handled += e.successful.length + e.failed.length;
          c.failed += e.failed.length;
          c.batches++;
          const size = this.#batchSize(e.batcher);
          c.fill += typeof size === 'number' ? Math.min(1, e.batchInfo.size / size) : 1;
        }),
      ],
    ];
    for (const [channel, listener] of this.#listeners) diagnostics.subscribe(channel, listener);
  }

  #batchSize(key: string): number | 'custom' {
    return this.#pipeline.topology().batchers.find((b) => b.batcherKey === key)?.batchSize ?? 1;
  }

  /** Every stage of the topology, with its counters. */
  read(): StageStats[] {
    const t = this.#pipeline.topology();
    // A producer's "handled" is what it sent into the pipeline.
    const received = this.#pipeline.stats().received;
    const out: StageStats[] = t.producers.map((p) => ({
      name: p.name,
      kind: 'producer' as const,
      concurrency: p.concurrency,
      handled: received,
      failed: 0,
      inFlight: 0,
    }));
    for (const p of t.processors) {
      const c = this.#processors.get(p.processorKey) ?? zero();
      out.push({
        name: p.name,
        kind: 'processor',
        concurrency: p.concurrency,
        handled: c.handled,
        failed: c.failed,
        inFlight: Math.max(0, c.started - c.handled),
      });
    }
    for (const b of t.batchers) {
      const c = this.#batchers.get(b.batcherKey) ?? zero();
      out.push({
        name: b.name,
        kind: 'batcher',
        concurrency: b.concurrency,
        handled: c.handled,
        failed: c.failed,
        inFlight: Math.max(0, c.started - c.handled),
        batches: c.batches,
        batchFill: c.batches === 0 ? 0 : c.fill / c.batches,
        batchSize: b.batchSize,
      });
    }
    return out;
  }

  /** Stops listening. */
  close(): void {
    for (const [channel, listener] of this.#listeners) diagnostics.unsubscribe(channel, listener);
  }
}
