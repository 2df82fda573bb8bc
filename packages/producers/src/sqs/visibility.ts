/**
 * Visibility changes: the heartbeat that keeps in-flight messages hidden
 * while the pipeline still works on them (in a processor, a buffer or a
 * batcher), and the delays of `onFailure: 'retry'`. Both go out with
 * ChangeMessageVisibilityBatch, 10 entries per call.
 */
import { redactUrl, type Logger } from '@sluice/core';
import { retryDelay, type Backoff } from '../internal/retry.ts';
import { callBatch, type FailedEntry, type RetryPolicy } from './batch-call.ts';
import type { SqsClient } from './client.ts';
import { chunk } from '../internal/coalescer.ts';
import type { ReceiptRef } from './deleter.ts';
import { InFlightTracker } from './in-flight-tracker.ts';
import { MAX_VISIBILITY_TIMEOUT } from './options.ts';
import { channels } from './telemetry.ts';

/**
 * The visibility timeout, in seconds, that `onFailure: 'retry'` gives a
 * message received `receiveCount` times: `retryDelay(receiveCount, backoff)`
 * rounded up to whole seconds, at most SQS's 12 hours.
 */
export function retryVisibilityTimeout(receiveCount: number, backoff: Backoff): number {
  return Math.min(MAX_VISIBILITY_TIMEOUT, Math.ceil(retryDelay(receiveCount, backoff) / 1000));
}

/** A message and the visibility timeout (seconds) to give it. */
export interface VisibilityChange extends ReceiptRef {
  readonly visibilityTimeout: number;
}

export interface VisibilityOptions {
  readonly client: SqsClient;
  readonly queueUrl: string;
  /** The visibility timeout of received messages, in seconds; 0 turns the heartbeat off. */
  readonly visibilityTimeout: number;
  /** Extend in-flight messages before they become visible again. */
  readonly heartbeat: boolean;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

/**
 * The heartbeat wakes every quarter of the visibility timeout and extends
 * each message with less than half of it left, so an extension has at least
 * a quarter of the timeout to get through.
 */
export class Visibility {
  readonly #o: VisibilityOptions;
  readonly #tracker: InFlightTracker;
  readonly #calls = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: VisibilityOptions) {
    this.#o = options;
    const ms = options.visibilityTimeout * 1000;
    this.#tracker = new InFlightTracker(ms, ms / 2);
  }

  get inFlight(): number {
    return this.#tracker.size;
  }

  /** Starts tracking messages received at `now`. */
  track(refs: readonly ReceiptRef[], now: number): void {
    if (!this.#enabled) return;
    for (const r of refs) this.#tracker.track(r.receiptHandle, r.messageId, now);
    if (this.#timer === undefined && this.#tracker.size > 0) {
      const tick = Math.max(50, (this.#o.visibilityTimeout * 1000) / 4);
      this.#timer = setInterval(() => this.#beat(), tick);
      this.#timer.unref();
    }
  }

  /** These messages are acked: stop extending them. */
  untrack(refs: readonly ReceiptRef[]): void {
    for (const r of refs) this.#tracker.untrack(r.receiptHandle);
    if (this.#tracker.size === 0) this.#stopTimer();
  }

  /** Sets the visibility of `changes` (for `'retry'`); resolves with those SQS refused. */
  async change(
    changes: readonly VisibilityChange[],
    reason: 'heartbeat' | 'retry',
  ): Promise<FailedEntry<VisibilityChange>[]> {
    const outcomes = await Promise.all(chunk(changes, 10).map((c) => this.#send(c, reason)));
    return outcomes.flat();
  }

  /** Stops the heartbeat and waits for visibility calls in progress. */
  async stop(): Promise<void> {
    this.#stopTimer();
    this.#tracker.clear();
    while (this.#calls.size > 0) await Promise.all([...this.#calls]);
  }

  get #enabled(): boolean {
    return this.#o.heartbeat && this.#o.visibilityTimeout > 0;
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    const at = Date.now();
    const due = this.#tracker.due(at);
    if (due.length === 0) return;
    const changes = due.map((e) => ({
      receiptHandle: e.receiptHandle,
      messageId: e.messageId,
      visibilityTimeout: this.#o.visibilityTimeout,
    }));
    for (const c of chunk(changes, 10)) {
      void this.#send(c, 'heartbeat').then((failed) => {
        const refused = new Set(failed.map((f) => f.entry.receiptHandle));
        this.#tracker.extended(
          c.filter((x) => !refused.has(x.receiptHandle)).map((x) => x.receiptHandle),
          at,
        );
        // A refused extension (e.g. the receipt handle expired) is not tried again.
        for (const handle of refused) this.#tracker.untrack(handle);
      });
    }
  }

  #send(
    changes: readonly VisibilityChange[],
    reason: 'heartbeat' | 'retry',
  ): Promise<FailedEntry<VisibilityChange>[]> {
    const { client, queueUrl, retry, logger } = this.#o;
    const call = callBatch(
      changes,
      (entries) =>
        client.changeMessageVisibilityBatch(
          queueUrl,
          entries.map((e) => ({
            id: e.id,
            receiptHandle: e.entry.receiptHandle,
            visibilityTimeout: e.entry.visibilityTimeout,
          })),
        ),
      retry,
    ).then(({ ok, failed, attempts }) => {
      if (failed.length > 0) {
        logger.warn(
          {
            queueUrl: redactUrl(queueUrl),
            reason,
            messageIds: failed.map((f) => f.entry.messageId),
            codes: [...new Set(failed.map((f) => f.code))],
            attempts,
          },
          reason === 'heartbeat'
            ? `SQS refused to extend the visibility of ${failed.length} in-flight messages; they may be redelivered while still in flight`
            : `SQS refused to delay ${failed.length} failed messages; they will be redelivered after their visibility timeout`,
        );
      }
      if (channels.visibility.hasSubscribers) {
        channels.visibility.publish({
          queueUrl,
          reason,
          count: ok.length,
          failed: failed.map((f) => ({
            messageId: f.entry.messageId,
            code: f.code,
            message: f.message,
          })),
          attempts,
        });
      }
      return failed;
    });
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call));
    return call;
  }
}
