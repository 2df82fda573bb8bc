/**
 * An in-memory SqsClient for unit tests: a queue with visibility, receipt
 * handles and long polls that wait (without timers) until a message is
 * published or the request is aborted. Every call is recorded, and each
 * operation can be made to fail.
 */
import type { Logger } from '@sluice/core';
import { BrokerError } from '../../src/errors.ts';
import type {
  SqsBatchResult,
  SqsCallOptions,
  SqsClient,
  SqsDeleteEntry,
  SqsMessage,
  SqsReceiveOptions,
  SqsSendEntry,
  SqsVisibilityEntry,
} from '../../src/sqs/client.ts';

interface ParkedReceive {
  readonly options: SqsReceiveOptions;
  readonly resolve: (messages: SqsMessage[]) => void;
}

/** A call of {@link FakeSqs} that can be made to hang. */
export type FakeSqsOperation = 'receive' | 'delete' | 'visibility' | 'send' | 'attributes';

type BatchHook<E> = (entries: readonly E[]) => SqsBatchResult | Error | undefined;

export class FakeSqs implements SqsClient {
  /** Visible messages, in order. */
  readonly visible: SqsMessage[] = [];
  /** Received and not deleted, by receipt handle. */
  readonly inFlight = new Map<string, SqsMessage>();
  /** Message ids deleted, in order. */
  readonly deleted: string[] = [];
  readonly receives: SqsReceiveOptions[] = [];
  readonly deleteCalls: SqsDeleteEntry[][] = [];
  readonly visibilityCalls: SqsVisibilityEntry[][] = [];
  readonly sendCalls: { queueUrl: string; entries: readonly SqsSendEntry[] }[] = [];
  readonly parked: ParkedReceive[] = [];
  /** The most receives outstanding at once. */
  maxConcurrentReceives = 0;
  #outstanding = 0;
  #next = 0;
  #receipts = 0;
  /** Return a result or an error to override a call; undefined: the default behaviour. */
  onReceive: (() => Error | undefined) | undefined;
  onDelete: BatchHook<SqsDeleteEntry> | undefined;
  onVisibility: BatchHook<SqsVisibilityEntry> | undefined;
  attributes: Record<string, string> = { VisibilityTimeout: '30' };
  /** Calls that never answer, as against a frozen endpoint: they settle only when aborted. */
  readonly hang = new Set<FakeSqsOperation>();
  /** The hung calls whose signal aborted, in order. */
  readonly abortedCalls: FakeSqsOperation[] = [];
  missingQueues = new Set<string>();

  /** Adds messages `body-<n>`; wakes parked long polls. */
  publish(count: number, extra: Partial<SqsMessage> = {}): SqsMessage[] {
    const out: SqsMessage[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.#next++;
      out.push({
        messageId: `m${n}`,
        receiptHandle: '',
        body: `body-${n}`,
        md5OfBody: 'md5',
        attributes: { ApproximateReceiveCount: '0' },
        messageAttributes: {},
        ...extra,
      });
    }
    this.visible.push(...out);
    this.#wake();
    return out;
  }

  receiveMessages(_queueUrl: string, options: SqsReceiveOptions): Promise<SqsMessage[]> {
    this.receives.push(options);
    if (this.hang.has('receive')) return this.#hung('receive', options.signal);
    const failure = this.onReceive?.();
    if (failure) return Promise.reject(failure);
    this.#outstanding += 1;
    this.maxConcurrentReceives = Math.max(this.maxConcurrentReceives, this.#outstanding);
    const done = <T>(value: T): T => {
      this.#outstanding -= 1;
      return value;
    };
    if (this.visible.length > 0 || options.waitTimeSeconds === 0) {
      return Promise.resolve(done(this.#take(options.maxNumberOfMessages)));
    }
    return new Promise<SqsMessage[]>((resolve, reject) => {
      const parked: ParkedReceive = { options, resolve: (m) => resolve(done(m)) };
      this.parked.push(parked);
      options.signal?.addEventListener('abort', () => {
        const i = this.parked.indexOf(parked);
        if (i < 0) return;
        this.parked.splice(i, 1);
        done(undefined);
        const error = new Error('The operation was aborted');
        error.name = 'AbortError';
        reject(error);
      });
    });
  }

  deleteMessageBatch(
    _queueUrl: string,
    entries: readonly SqsDeleteEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    this.deleteCalls.push([...entries]);
    if (this.hang.has('delete')) return this.#hung('delete', options?.signal);
    const hooked = this.onDelete?.(entries);
    if (hooked instanceof Error) return Promise.reject(hooked);
    if (hooked) return Promise.resolve(hooked);
    for (const e of entries) {
      const m = this.inFlight.get(e.receiptHandle);
      if (m) {
        this.inFlight.delete(e.receiptHandle);
        this.deleted.push(m.messageId);
      }
    }
    return Promise.resolve(ok(entries));
  }

  changeMessageVisibilityBatch(
    _queueUrl: string,
    entries: readonly SqsVisibilityEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    this.visibilityCalls.push([...entries]);
    if (this.hang.has('visibility')) return this.#hung('visibility', options?.signal);
    const hooked = this.onVisibility?.(entries);
    if (hooked instanceof Error) return Promise.reject(hooked);
    return Promise.resolve(hooked ?? ok(entries));
  }

  sendMessageBatch(
    queueUrl: string,
    entries: readonly SqsSendEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult> {
    this.sendCalls.push({ queueUrl, entries });
    if (this.hang.has('send')) return this.#hung('send', options?.signal);
    return Promise.resolve(ok(entries));
  }

  getQueueAttributes(
    queueUrl: string,
    _names?: readonly string[],
    options?: SqsCallOptions,
  ): Promise<Record<string, string>> {
    if (this.hang.has('attributes')) return this.#hung('attributes', options?.signal);
    if (this.missingQueues.has(queueUrl)) {
      return Promise.reject(
        new BrokerError(
          'ERR_QUEUE_NOT_FOUND',
          'sqs',
          `SQS queue ${queueUrl} does not exist (GetQueueAttributes)`,
        ),
      );
    }
    return Promise.resolve({ ...this.attributes });
  }

  /** A call that never answers; it rejects with the signal's reason once aborted. */
  #hung<T>(operation: FakeSqsOperation, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((_resolve, reject) => {
      signal?.addEventListener('abort', () => {
        this.abortedCalls.push(operation);
        reject(signal.reason as Error);
      });
    });
  }

  #take(max: number): SqsMessage[] {
    const taken = this.visible.splice(0, max).map((m) => {
      const count = Number(m.attributes['ApproximateReceiveCount'] ?? 0) + 1;
      const received = {
        ...m,
        receiptHandle: `r${this.#receipts++}-${m.messageId}`,
        attributes: { ...m.attributes, ApproximateReceiveCount: String(count) },
      };
      this.inFlight.set(received.receiptHandle, received);
      return received;
    });
    return taken;
  }

  #wake(): void {
    while (this.parked.length > 0 && this.visible.length > 0) {
      const parked = this.parked.shift() as ParkedReceive;
      parked.resolve(this.#take(parked.options.maxNumberOfMessages));
    }
  }
}

function ok(entries: readonly { id: string }[]): SqsBatchResult {
  return { successful: entries.map((e) => ({ id: e.id })), failed: [] };
}

/** A logger that records warnings and errors, and prints nothing. */
export function memoryLogger() {
  const lines: { level: string; object: object; message: string | undefined }[] = [];
  const make = (): Logger => ({
    error: (object, message) => lines.push({ level: 'error', object, message }),
    warn: (object, message) => lines.push({ level: 'warn', object, message }),
    info: () => undefined,
    debug: () => undefined,
    child: () => make(),
  });
  return { logger: make(), lines };
}

/** Lets promise chains and the pipeline's scheduler (setImmediate) run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
