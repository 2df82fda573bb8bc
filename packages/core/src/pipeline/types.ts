/**
 * Public types of a pipeline: what `createPipeline` returns and reports.
 * The runtime lives in pipeline.ts.
 */
import type { ResolvedDefinition } from './definition.ts';
import type { Message } from './message.ts';
import type { RateLimit, RateLimitUpdate } from './rate-limiter.ts';
import type { BacklogSample } from './backlog.ts';
import type { MessageCounts } from './runtime.ts';
import type { PipelineHealth } from './health.ts';
import type { ResizeResult } from './resize.ts';

/** What `pipeline.stats()` reports: message counters and the broker's backlog. */
export interface PipelineStats extends MessageCounts {
  /**
   * The last backlog sample per destination (and Kafka partition), when
   * the producer reports one; empty otherwise. Producers poll while
   * `stats()` was read in the last minute or `sluice:backlog` has a
   * subscriber, so the first read after a quiet spell may be empty.
   */
  readonly backlog: readonly BacklogSample[];
}

/** The stage graph of a pipeline, as `pipeline.topology()` reports it. */
export interface Topology {
  readonly producers: readonly { readonly name: string; readonly concurrency: number }[];
  readonly processors: readonly {
    readonly name: string;
    readonly processorKey: string;
    readonly concurrency: number;
  }[];
  readonly batchers: readonly {
    readonly name: string;
    readonly batcherKey: string;
    readonly concurrency: number;
    readonly batchSize: number | 'custom';
    readonly batchTimeout: number;
  }[];
}

/** What `stop()` resolves with. */
export interface StopReport {
  /**
   * Messages not known to be acked at their source when `stop()` settled:
   * never acked, in an ack still on its way, or in an ack that failed
   * during the drain (0 after a full drain). The source redelivers them.
   */
  readonly unacked: number;
  /** True if `shutdownTimeout` passed before everything was drained, acked and closed. */
  readonly timedOut: boolean;
}

/** A pipeline's lifecycle state. */
export type PipelineState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A running (or runnable) pipeline. Create one with {@link createPipeline}. */
export interface Pipeline<C = unknown> {
  readonly name: string;
  readonly state: PipelineState;
  /** Starts every stage. Rejects if the producer module's `prepareForStart` or `init` fails. */
  start(): Promise<void>;
  /**
   * Drains and stops: producers stop fetching, in-flight messages finish,
   * batchers flush, everything is acked. Idempotent: concurrent and later
   * calls share one promise. After `shutdownTimeout` it stops anyway and
   * reports how many messages were left un-acked.
   */
  stop(): Promise<StopReport>;
  /** The stage graph. */
  topology(): Topology;
  /** The rate limit in force, or undefined when rate limiting is off. */
  getRateLimiting(): RateLimit | undefined;
  /**
   * Changes the rate limit from the next interval, or at once with
   * `reset: true`. Throws if the pipeline was defined without one.
   */
  updateRateLimiting(update: RateLimitUpdate): void;
  /**
   * Sends messages straight into a producer's dispatch, bypassing its
   * demand, transformer and rate limit (for tests; see @sluice/testing).
   */
  pushMessages(messages: readonly Message[]): void;
  /** Message counters (received, acked, failed, in flight) and the broker's backlog. */
  stats(): PipelineStats;
  /**
   * Readiness (running, not draining, every producer that can tell is
   * connected) and liveness (no processor or batch processor holding
   * messages without progress for `stallTimeout`), with the reasons.
   */
  health(): PipelineHealth;
  /**
   * Stops dispatching new messages: producers are no longer asked for
   * more, and what they still emit waits, in order. Messages already in
   * the processors and batchers finish and are acked. Returns false if it
   * was paused already; throws unless running. `stop()` resumes first.
   */
  pause(): boolean;
  /** Dispatches what waited and asks the producers again. False if it was not paused. */
  resume(): boolean;
  /** True between `pause()` and `resume()`. */
  readonly paused: boolean;
  /**
   * Changes the concurrency of the processor group or the batcher named
   * `name` (its key, or its name in `topology()`) while running. New
   * processors subscribe with the same demand settings; removed ones
   * finish and ack what they were given before they stop; a batcher's
   * removed lanes finish their batch. A partitioned processor group
   * (`partitionBy`) first lets every processor finish what it holds while
   * new messages wait, then routes them over the new count, so per-key
   * order holds; `applied` resolves when that is done. Refused for a
   * partitioned batcher. Publishes `sluice:pipeline:resize`. Throws unless
   * running.
   */
  resize(name: string, concurrency: number): ResizeResult;
  /** The validated definition, with defaults. */
  readonly definition: ResolvedDefinition<C>;
}
