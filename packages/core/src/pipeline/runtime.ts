/**
 * What every stage of one running pipeline shares: the resolved definition,
 * the logger, message accounting, the ack sink and the shutdown signal.
 */
import type { Logger } from '../logger.ts';
import { Fifo } from '../internal/fifo.ts';
import { ackMessages, type AckSink } from './acknowledger.ts';
import type { ResolvedDefinition } from './definition.ts';
import type { Message } from './message.ts';
import { StallWatch } from './health.ts';
import { channels } from './telemetry.ts';
import { whenIdle } from './when-idle.ts';

/** Message counters of a running pipeline; `pipeline.stats()` adds the backlog. */
export interface MessageCounts {
  /** Messages that entered the pipeline. */
  readonly received: number;
  /** Messages acked as successful. */
  readonly successful: number;
  /** Messages acked as failed. */
  readonly failed: number;
  /** Received and not yet acked. */
  readonly inFlight: number;
  /** Ack calls that threw or rejected. */
  readonly ackErrors: number;
}

/** The counts of a pipeline that has not started. */
export const NO_COUNTS: MessageCounts = {
  received: 0,
  successful: 0,
  failed: 0,
  inFlight: 0,
  ackErrors: 0,
};

export class PipelineRuntime<C = unknown> {
  readonly definition: ResolvedDefinition<C>;
  readonly name: string;
  readonly logger: Logger;
  readonly context: C;
  /** Aborts when the shutdown deadline passes: handlers should give up. */
  readonly shutdown = new AbortController();
  draining = false;
  /** Each processor's and batch processor's progress, for `pipeline.health()`. */
  readonly stalls: StallWatch;

  received = 0;
  successful = 0;
  failed = 0;
  ackErrors = 0;
  /**
   * Messages whose acknowledger failed once the drain had begun: the source
   * never heard of their ack, and nothing will take them again before the
   * pipeline stops. (An ack that fails earlier is reported as it happens,
   * and the source redelivers those messages while the pipeline runs.)
   */
  ackFailedWhileDraining = 0;
  /** Messages in async acks that have not settled yet. */
  ackPendingMessages = 0;
  readonly #pendingAcks = new Set<Promise<void>>();
  readonly ackSink: AckSink;
  /**
   * Processors with messages done while their chunk waits, to ack once the
   * thread is idle. A Fifo rather than an array: a new runtime's empty array
   * literal starts with V8's small-integer elements kind, and code optimised
   * for the previous pipeline's array of functions threw itself away at the
   * first idle ack of a second pipeline in the process ("wrong map" in the
   * processor's async loop, which then had to be compiled again).
   */
  readonly #idleCollectors = new Fifo<(into: Message[]) => void>();

  constructor(definition: ResolvedDefinition<C>, logger: Logger) {
    this.definition = definition;
    this.name = definition.name;
    this.logger = logger;
    this.context = definition.context;
    this.stalls = new StallWatch(definition.stallTimeout);
    this.ackSink = {
      acked: (successful, failed) => {
        this.successful += successful;
        this.failed += failed;
      },
      ackError: (error, messages) => this.#ackError(error, messages),
      track: (promise, count) => {
        this.#pendingAcks.add(promise);
        this.ackPendingMessages += count;
        void promise.finally(() => {
          this.#pendingAcks.delete(promise);
          this.ackPendingMessages -= count;
        });
      },
    };
  }

  get stats(): MessageCounts {
    return {
      received: this.received,
      successful: this.successful,
      failed: this.failed,
      inFlight: this.received - this.successful - this.failed,
      ackErrors: this.ackErrors,
    };
  }

  /** Acks, counting and reporting through this pipeline. */
  ack(successful: readonly Message[], failed: readonly Message[]): void {
    ackMessages(successful, failed, this.ackSink);
    if (channels.ack.hasSubscribers && successful.length + failed.length > 0) {
      channels.ack.publish({ pipeline: this.name, successful, failed });
    }
  }

  /**
   * Calls `collect` once the thread goes idle, with every other processor
   * that asked in the same turn, and acks what they put in `into` with one
   * call per acknowledger: I/O-bound processors finishing in the same
   * event-loop turn share one ack instead of one each.
   */
  ackWhenIdle(collect: (into: Message[]) => void): void {
    if (this.#idleCollectors.length === 0) whenIdle(this.#flushIdle);
    this.#idleCollectors.push(collect);
  }

  readonly #flushIdle = (): void => {
    const collectors = this.#idleCollectors;
    const done: Message[] = [];
    // Collecting only moves messages into `done`; nothing re-arms meanwhile.
    for (let collect = collectors.shift(); collect !== undefined; collect = collectors.shift()) {
      collect(done);
    }
    if (done.length > 0) this.ack(done, []);
  };

  /**
   * Messages not known to be acked at their source: not yet acked, in an
   * ack still on its way, or in an ack that failed during the drain. What
   * `stop()` reports.
   */
  get unconfirmed(): number {
    return this.stats.inFlight + this.ackPendingMessages + this.ackFailedWhileDraining;
  }

  /** Resolves once every async ack started so far has settled. */
  async settleAcks(): Promise<void> {
    while (this.#pendingAcks.size > 0) await Promise.allSettled([...this.#pendingAcks]);
  }

  #ackError(error: unknown, messages: readonly Message[]): void {
    this.ackErrors++;
    if (this.draining) this.ackFailedWhileDraining += messages.length;
    this.logger.error(
      { err: error, count: messages.length, messageIds: messages.slice(0, 10).map((m) => m.id) },
      `acknowledger failed for ${messages.length} messages; they stay un-acked at the source`,
    );
    if (channels.ackError.hasSubscribers) {
      channels.ackError.publish({ pipeline: this.name, error, count: messages.length, messages });
    }
  }
}
