/**
 * Deletes acked messages with DeleteMessageBatch, 10 at a time, coalescing
 * acks that arrive within `windowMs` of each other. Each `delete()` resolves
 * once its own messages are settled, with those SQS refused for good.
 */
import type { Logger } from '@sluice/core';
import { redactUrl } from '@sluice/core';
import { callBatch, type FailedEntry, type RetryPolicy } from './batch-call.ts';
import type { SqsClient } from './client.ts';
import { Coalescer } from '../internal/coalescer.ts';
import { channels } from './telemetry.ts';

/** A received message, as acks name it. */
export interface ReceiptRef {
  readonly receiptHandle: string;
  readonly messageId: string;
}

interface Pending {
  readonly ref: ReceiptRef;
  readonly settle: (failure: FailedEntry<ReceiptRef> | undefined) => void;
}

export interface DeleterOptions {
  readonly client: SqsClient;
  readonly queueUrl: string;
  readonly windowMs: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

export class Deleter {
  readonly #o: DeleterOptions;
  readonly #coalescer = new Coalescer<Pending>(10);
  readonly #calls = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DeleterOptions) {
    this.#o = options;
  }

  /** Deletes `refs`; resolves with the ones SQS refused for good (after retries). */
  delete(refs: readonly ReceiptRef[]): Promise<FailedEntry<ReceiptRef>[]> {
    if (refs.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      let left = refs.length;
      const failures: FailedEntry<ReceiptRef>[] = [];
      const settle = (failure: FailedEntry<ReceiptRef> | undefined): void => {
        if (failure !== undefined) failures.push(failure);
        if (--left === 0) resolve(failures);
      };
      for (const chunk of this.#coalescer.add(refs.map((ref) => ({ ref, settle })))) {
        this.#send(chunk);
      }
      if (this.#coalescer.pending === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      } else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          for (const chunk of this.#coalescer.flush()) this.#send(chunk);
        }, this.#o.windowMs);
      }
    });
  }

  /** Sends whatever waits at once, and resolves when every delete call has settled. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const chunk of this.#coalescer.flush()) this.#send(chunk);
    while (this.#calls.size > 0) await Promise.all([...this.#calls]);
  }

  #send(chunk: Pending[]): void {
    const { client, queueUrl, retry, logger } = this.#o;
    const call = callBatch(
      chunk,
      (entries) =>
        client.deleteMessageBatch(
          queueUrl,
          entries.map((e) => ({ id: e.id, receiptHandle: e.entry.ref.receiptHandle })),
        ),
      retry,
    ).then(({ ok, failed, attempts }) => {
      for (const p of ok) p.settle(undefined);
      const failures = failed.map((f) => ({
        entry: f.entry.ref,
        code: f.code,
        message: f.message,
      }));
      if (failures.length > 0) {
        logger.warn(
          {
            queueUrl: redactUrl(queueUrl),
            messageIds: failures.map((f) => f.entry.messageId),
            codes: [...new Set(failures.map((f) => f.code))],
            attempts,
          },
          `SQS refused to delete ${failures.length} messages; they will be redelivered`,
        );
      }
      if (channels.delete.hasSubscribers) {
        channels.delete.publish({
          queueUrl,
          count: ok.length,
          failed: failures.map((f) => ({
            messageId: f.entry.messageId,
            code: f.code,
            message: f.message,
          })),
          attempts,
        });
      }
      failed.forEach((f, i) => f.entry.settle(failures[i]));
    });
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call));
  }
}
