/**
 * Gathers what the live view shows from a pipeline's telemetry
 * (docs/telemetry.md): per-stage in flight and rates, handler latency,
 * failures by reason, and the Kafka producer's lag. `snapshot()` turns it
 * into a {@link ViewSnapshot}; nothing here draws.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  failureReason,
  pipelineChannels,
  type BatcherStartEvent,
  type BatchProcessorStopEvent,
  type Message,
  type MessageStopEvent,
  type Pipeline,
  type ProcessorStartEvent,
  type ProcessorStopEvent,
} from '@sluice/core';
import { summarizeError } from './errors.ts';
import { LatencyWindow } from './latency.ts';
import { RateMeter } from './rate.ts';
import type { CountedLine, StageView, ViewSnapshot } from './snapshot.ts';

/**
 * The Kafka producer's lag channel (`kafkaChannels.lag` in
 * `@sluice/producers/kafka`), named here so the view does not load the
 * Kafka producer to listen for it.
 */
export const KAFKA_LAG_CHANNEL = 'sluice:kafka:lag';

/** At most this many distinct failure reasons are kept; the rest count as "other". */
const MAX_REASONS = 50;

/** handleMessage latency is sampled during one frame in this many… */
export const LATENCY_EVERY = 8;
/** …once this many durations are in (until then, on every frame). */
export const LATENCY_FIRST = 1000;

/** What the collector reads from a pipeline. */
export type ObservedPipeline = Pick<Pipeline, 'name' | 'state' | 'stats' | 'topology'>;

/** Options of {@link createCollector}. */
export interface CollectorOptions {
  /** How many messages the source will send, when known (for progress and ETA). */
  readonly total?: number;
  /** The clock, in milliseconds (default `performance.now`); tests pass their own. */
  readonly now?: () => number;
  /** Rate smoothing time constant in seconds (default 3). */
  readonly smoothingSeconds?: number;
}

/** A live subscription to one pipeline's telemetry. */
export interface Collector {
  /** Reads the counters and smooths the rates: call once per frame. */
  snapshot(extra?: Pick<ViewSnapshot, 'logs' | 'logFile'>): ViewSnapshot;
  /** Unsubscribes from every channel. */
  close(): void;
}

interface Group {
  readonly kind: 'processor' | 'batcher';
  readonly name: string;
  readonly concurrency: number;
  inFlight: number;
  through: number;
  batches: number;
  readonly rate: RateMeter;
  readonly batchRate: RateMeter;
}

/**
 * Subscribes to `pipeline`'s telemetry. Call after `createPipeline` (the
 * topology is read now); call `close()` when the view stops.
 */
export function createCollector(
  pipeline: ObservedPipeline,
  options: CollectorOptions = {},
): Collector {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const name = pipeline.name;
  const topology = pipeline.topology();
  const meter = (): RateMeter => new RateMeter(options.smoothingSeconds);
  const group = (kind: Group['kind'], key: string, concurrency: number): Group => ({
    kind,
    name: key,
    concurrency,
    inFlight: 0,
    through: 0,
    batches: 0,
    rate: meter(),
    batchRate: meter(),
  });
  const processors = new Map<string, Group>();
  for (const p of topology.processors) {
    processors.set(p.processorKey, group('processor', p.processorKey, p.concurrency));
  }
  const batchers = new Map<string, Group>();
  for (const b of topology.batchers) {
    batchers.set(b.batcherKey, group('batcher', b.batcherKey, b.concurrency));
  }
  const producers = topology.producers.reduce((n, p) => n + p.concurrency, 0);
  const acked = meter();
  const latency = new LatencyWindow();
  const batchLatency = new LatencyWindow();
  const reasons = new Map<string, number>();
  const lag = new Map<string, number>();

  const fail = (messages: readonly Message[]): void => {
    for (const m of messages) {
      let line = summarizeError(failureReason(m.status), { generalize: true });
      if (!reasons.has(line) && reasons.size >= MAX_REASONS) line = 'other reasons';
      reasons.set(line, (reasons.get(line) ?? 0) + 1);
    }
  };
  const listeners: [string, (payload: unknown) => void][] = [
    [
      pipelineChannels.processorStart,
      (p) => {
        const e = p as ProcessorStartEvent;
        const g = e.pipeline === name ? processors.get(e.processor) : undefined;
        if (g !== undefined) g.inFlight += e.messages.length;
      },
    ],
    [
      pipelineChannels.processorStop,
      (p) => {
        const e = p as ProcessorStopEvent;
        const g = e.pipeline === name ? processors.get(e.processor) : undefined;
        if (g === undefined) return;
        const n = e.successfulToAck.length + e.successfulToForward.length + e.failed.length;
        g.inFlight -= n;
        g.through += n;
        fail(e.failed);
      },
    ],
    [
      pipelineChannels.batcherStart,
      (p) => {
        const e = p as BatcherStartEvent;
        const g = e.pipeline === name ? batchers.get(e.batcher) : undefined;
        if (g !== undefined) g.inFlight += e.messages.length;
      },
    ],
    [
      pipelineChannels.batchProcessorStop,
      (p) => {
        const e = p as BatchProcessorStopEvent;
        const g = e.pipeline === name ? batchers.get(e.batcher) : undefined;
        if (g === undefined) return;
        const n = e.successful.length + e.failed.length;
        g.inFlight -= n;
        g.through += n;
        g.batches++;
        batchLatency.record(e.durationMs);
        fail(e.failed);
      },
    ],
    [
      KAFKA_LAG_CHANNEL,
      (p) => {
        const e = p as { pipeline: string; topic: string; partition: number; lag: number };
        if (e.pipeline === name) lag.set(`${e.topic}/${e.partition}`, e.lag);
      },
    ],
  ];
  for (const [channel, listener] of listeners) diagnostics.subscribe(channel, listener);
  // handleMessage latency needs an event per message, which cost a
  // trivial handler's pipeline (the quickstart's) 15-20% of its throughput
  // when always on: after the first LATENCY_FIRST durations, listen during
  // one frame in LATENCY_EVERY only.
  const onMessage = (p: unknown): void => {
    const e = p as MessageStopEvent;
    if (e.pipeline === name) latency.record(e.durationMs);
  };
  let frames = 0;
  let sampling = false;
  const sample = (on: boolean): void => {
    if (on === sampling) return;
    sampling = on;
    // A handler that threw publishes an exception event instead of stop.
    for (const channel of [pipelineChannels.messageStop, pipelineChannels.messageException]) {
      if (on) diagnostics.subscribe(channel, onMessage);
      else diagnostics.unsubscribe(channel, onMessage);
    }
  };
  sample(true);

  return {
    snapshot(extra = { logs: [] }) {
      sample(latency.size < LATENCY_FIRST || ++frames % LATENCY_EVERY === 0);
      const at = now();
      const s = pipeline.stats();
      const groups = [...processors.values(), ...batchers.values()];
      const staged = groups.reduce((n, g) => n + Math.max(0, g.inFlight), 0);
      const stages: StageView[] = [
        {
          kind: 'producers',
          name: 'producers',
          concurrency: producers,
          inFlight: Math.max(0, s.inFlight - staged),
        },
        ...groups.map((g): StageView => ({
          kind: g.kind,
          name: g.name,
          concurrency: g.concurrency,
          inFlight: Math.max(0, g.inFlight),
          perSecond: g.rate.sample(at, g.through),
          ...(g.kind === 'batcher' && { batchesPerSecond: g.batchRate.sample(at, g.batches) }),
        })),
      ];
      const lagged = [...lag.values()];
      const latencySummary = latency.summary();
      const batchSummary = batchLatency.summary();
      return {
        name,
        state: pipeline.state,
        elapsedMs: at - started,
        ...(options.total !== undefined && { total: options.total }),
        received: s.received,
        acked: s.successful,
        failed: s.failed,
        inFlight: s.inFlight,
        perSecond: acked.sample(at, s.successful + s.failed),
        stages,
        ...(latencySummary !== undefined && { latency: latencySummary }),
        ...(batchSummary !== undefined && { batchLatency: batchSummary }),
        ...(lagged.length > 0 && {
          lag: { messages: lagged.reduce((a, b) => a + b, 0), partitions: lagged.length },
        }),
        failures: counted(reasons),
        ...extra,
      };
    },
    close() {
      for (const [channel, listener] of listeners) diagnostics.unsubscribe(channel, listener);
      sample(false);
    },
  };
}

/** Counts as lines, most frequent first. */
export function counted(counts: ReadonlyMap<string, number>): CountedLine[] {
  return [...counts.entries()]
    .map(([line, count]) => ({ line, count }))
    .sort((a, b) => b.count - a.count);
}
