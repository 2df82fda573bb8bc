/**
 * What the live view draws: a plain object, so rendering is a pure
 * function of it and tests build one by hand.
 */
import type { LatencySummary } from './latency.ts';

/** One stage group of the pipeline: its producers, a processor key, a batcher. */
export interface StageView {
  readonly kind: 'producers' | 'processor' | 'batcher';
  /** The processor key or batcher name (`producers` for the producers). */
  readonly name: string;
  /** How many stages of the group run (processes, in Broadway's terms). */
  readonly concurrency: number;
  /**
   * Messages in this group now. For producers: received from the source
   * and not yet taken by a processor or a batcher.
   */
  readonly inFlight: number;
  /** Messages through the group per second, smoothed; undefined for producers. */
  readonly perSecond?: number;
  /** Batches per second, smoothed (batchers only). */
  readonly batchesPerSecond?: number;
}

/** A count of identical one-line summaries (failure reasons, log lines). */
export interface CountedLine {
  readonly line: string;
  readonly count: number;
}

/** Everything one frame of the live view shows. */
export interface ViewSnapshot {
  /** The pipeline's name. */
  readonly name: string;
  /** `running`, `draining`, `stopped`… */
  readonly state: string;
  readonly elapsedMs: number;
  /** How many messages the source will send, when it is known. */
  readonly total?: number;
  readonly received: number;
  readonly acked: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Messages acked (successful or failed) per second, smoothed. */
  readonly perSecond: number;
  readonly stages: readonly StageView[];
  /** `handleMessage` durations. */
  readonly latency?: LatencySummary;
  /** `handleBatch` durations. */
  readonly batchLatency?: LatencySummary;
  /** Messages behind the end of the source, where the producer reports it (Kafka). */
  readonly lag?: { readonly messages: number; readonly partitions: number };
  /** Failed messages by reason, most frequent first. */
  readonly failures: readonly CountedLine[];
  /** Log lines written while the view is on, one per distinct line, with counts. */
  readonly logs: readonly CountedLine[];
  /** Where the full log records go while the view is on. */
  readonly logFile?: string;
}
