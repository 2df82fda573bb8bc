/**
 * The {@link SqsClient} the producer actually calls: every call bounded by
 * `requestTimeout` (a receive by its long poll's wait plus `requestTimeout`),
 * so a frozen or silent endpoint fails a call with `ERR_BROKER_TIMEOUT`
 * instead of holding an ack, the receive loop or the shutdown for ever.
 * The request is aborted through its signal when the bound passes.
 */
import { withTimeout } from '../internal/timeout.ts';
import type {
  SqsBatchResult,
  SqsCallOptions,
  SqsClient,
  SqsDeleteEntry,
  SqsMessage,
  SqsReceiveOptions,
  SqsSendEntry,
  SqsVisibilityEntry,
} from './client.ts';

/** Wraps `client` so each call settles within `requestTimeout` ms (receives: plus their wait). */
export class TimedSqsClient implements SqsClient {
  readonly #client: SqsClient;
  readonly #timeoutMs: number;

  constructor(client: SqsClient, requestTimeout: number) {
    this.#client = client;
    this.#timeoutMs = requestTimeout;
  }

  receiveMessages(queueUrl: string, options: SqsReceiveOptions): Promise<SqsMessage[]> {
    const outer = options.signal;
    return withTimeout(
      {
        broker: 'sqs',
        operation: `ReceiveMessage on ${queueUrl} (a ${options.waitTimeSeconds} s long poll)`,
        timeoutMs: options.waitTimeSeconds * 1000 + this.#timeoutMs,
        option: `waitTimeSeconds + requestTimeout`,
      },
      (signal) =>
        this.#client.receiveMessages(queueUrl, {
          ...options,
          signal: outer === undefined ? signal : AbortSignal.any([outer, signal]),
        }),
    );
  }

  deleteMessageBatch(
    queueUrl: string,
    entries: readonly SqsDeleteEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    return this.#timed(`DeleteMessageBatch on ${queueUrl}`, options, (o) =>
      this.#client.deleteMessageBatch(queueUrl, entries, o),
    );
  }

  changeMessageVisibilityBatch(
    queueUrl: string,
    entries: readonly SqsVisibilityEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    return this.#timed(`ChangeMessageVisibilityBatch on ${queueUrl}`, options, (o) =>
      this.#client.changeMessageVisibilityBatch(queueUrl, entries, o),
    );
  }

  sendMessageBatch(
    queueUrl: string,
    entries: readonly SqsSendEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    return this.#timed(`SendMessageBatch on ${queueUrl}`, options, (o) =>
      this.#client.sendMessageBatch(queueUrl, entries, o),
    );
  }

  getQueueAttributes(
    queueUrl: string,
    names: readonly string[],
    options?: SqsCallOptions,
  ): Promise<Record<string, string>> {
    return this.#timed(`GetQueueAttributes on ${queueUrl}`, options, (o) =>
      this.#client.getQueueAttributes(queueUrl, names, o),
    );
  }

  #timed<T>(
    operation: string,
    options: SqsCallOptions | undefined,
    run: (options: SqsCallOptions) => Promise<T>,
  ): Promise<T> {
    const outer = options?.signal;
    return withTimeout({ broker: 'sqs', operation, timeoutMs: this.#timeoutMs }, (signal) =>
      run({ signal: outer === undefined ? signal : AbortSignal.any([outer, signal]) }),
    );
  }
}
