/**
 * Backlog: how many messages wait at the broker for a pipeline. A producer
 * polls its broker (or reads what a fetch told it) only while someone
 * listens, and reports each sample here; the pipeline keeps the last one
 * per destination for `pipeline.stats().backlog` and publishes it on
 * `sluice:backlog`. docs/telemetry.md describes the channel.
 */
import { channels, type BacklogEvent } from './telemetry.ts';

/** How long a `pipeline.stats()` read keeps the pollers polling. */
export const STATS_INTEREST_MS = 60_000;

/** One destination's backlog, as a producer measured it. */
export interface BacklogSample {
  /** The broker: `sqs`, `rabbitmq`, `kafka`, or another producer's name. */
  readonly broker: string;
  /** The queue or topic. */
  readonly destination: string;
  /** Kafka: the partition. Undefined for a queue. */
  readonly partition?: number | undefined;
  /**
   * Messages waiting to be delivered: SQS `ApproximateNumberOfMessages`,
   * RabbitMQ's ready count, Kafka's lag.
   */
  readonly waiting: number;
  /**
   * Messages delivered and not yet acked, when the broker tells: SQS
   * `ApproximateNumberOfMessagesNotVisible`, RabbitMQ's unacked count (this
   * pipeline's). Undefined for Kafka.
   */
  readonly inFlight?: number | undefined;
  /** When it was measured (`Date.now()`). */
  readonly at: number;
}

/**
 * What a producer reports backlog to. It is given to `prepareForStart` as
 * `context.backlog`; a module driven by hand has none.
 */
export interface BacklogReporter {
  /**
   * True while someone listens: a subscriber on `sluice:backlog`, or a
   * `pipeline.stats()` read in the last minute. Poll only then.
   */
  wanted(): boolean;
  /** Records a sample for `pipeline.stats()` and publishes it on `sluice:backlog`. */
  report(sample: BacklogSample): void;
}

/** The last sample per destination of one pipeline. */
export class BacklogBoard implements BacklogReporter {
  readonly #pipeline: string;
  readonly #samples = new Map<string, BacklogSample>();
  #readAt = -Infinity;
  readonly #now: () => number;

  constructor(pipeline: string, now: () => number = () => performance.now()) {
    this.#pipeline = pipeline;
    this.#now = now;
  }

  wanted(): boolean {
    return channels.backlog.hasSubscribers || this.#now() - this.#readAt < STATS_INTEREST_MS;
  }

  report(sample: BacklogSample): void {
    this.#samples.set(`${sample.broker}\0${sample.destination}\0${sample.partition ?? ''}`, sample);
    if (channels.backlog.hasSubscribers) {
      channels.backlog.publish({ pipeline: this.#pipeline, ...sample } satisfies BacklogEvent);
    }
  }

  /** The last samples, and a read that keeps the pollers going. */
  read(): readonly BacklogSample[] {
    this.#readAt = this.#now();
    return [...this.#samples.values()];
  }
}
