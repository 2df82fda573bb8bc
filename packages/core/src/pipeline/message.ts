/**
 * A message flowing through a pipeline, and the helpers to update it.
 *
 * Helpers update the message in place and return it, which keeps the hot
 * path free of copies. Always use what a helper returns, as if it were a
 * new message: `return message.putBatcher('s3')`.
 */
import { SluiceError } from '../errors.ts';

/** Whether a message's batch waits for `batchSize`/`batchTimeout` or goes out at once. */
export type BatchMode = 'bulk' | 'flush';

/**
 * A message's status: `ok`, `failed` through {@link Message.fail}, or
 * `error` when a callback threw while handling it.
 */
export type MessageStatus =
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed'; readonly reason: unknown }
  | { readonly kind: 'error'; readonly error: unknown; readonly callback: string };

/** The status of every message that has not failed. */
export const OK: MessageStatus = Object.freeze({ kind: 'ok' });

/** Per-message ack options when a producer declares none: any record. */
export type AckOptions = Readonly<Record<string, unknown>>;

/**
 * Acknowledges messages back to their source. A producer attaches one to
 * every message it emits; the pipeline calls `ack` once handling is done.
 */
export interface Acknowledger<A extends object = AckOptions> {
  /**
   * Called once per group of messages sharing this acknowledger and
   * `ackRef`, per stage invocation, with the messages that succeeded and
   * those that failed. May be async; a rejection is logged and published on
   * the `sluice:ack:error` channel, never swallowed.
   */
  ack(ackRef: unknown, successful: Message[], failed: Message[]): void | PromiseLike<void>;
  /**
   * Applies per-message ack options (`message.configureAck(options)`) and
   * returns the message's new `ackData`. Throw to reject unknown options.
   */
  configure?(ackRef: unknown, ackData: unknown, options: Readonly<A>): unknown;
}

/** The acknowledger installed by {@link ackImmediately}: acking again does nothing. */
export const noopAcknowledger: Acknowledger = Object.freeze({ ack: () => undefined });

/** What a producer gives to build a {@link Message}. */
export interface MessageInit<
  D,
  M extends object = Record<string, unknown>,
  A extends object = AckOptions,
> {
  readonly data: D;
  readonly acknowledger: Acknowledger<A>;
  /** Groups messages for `ack` calls; messages with the same ref are acked together. */
  readonly ackRef?: unknown;
  /** Per-message data the acknowledger needs (a receipt handle, a delivery tag). */
  readonly ackData?: unknown;
  readonly metadata?: M;
  /** An id for logs, e.g. the broker's message id. */
  readonly id?: string | number;
}

/**
 * A message in a pipeline: its data, metadata, routing and status. `D` is
 * the data's type, `M` the metadata's and `A` the options
 * {@link configureAck} takes; a producer module declares all three
 * (`ProducerModule<D, M, A>`) and `createPipeline` passes them on to the
 * handlers.
 */
export class Message<
  D = unknown,
  M extends object = Record<string, unknown>,
  A extends object = AckOptions,
> {
  /** The payload. Replace it with {@link putData} or {@link updateData}. */
  data: D;
  /**
   * What the producer gave, until the first read of {@link metadata} when
   * it gave nothing. Most in-memory messages never need an object here, and
   * one per message was about 5 % of pipeline A's CPU.
   */
  #metadata: M | undefined;
  /** An id for logs and telemetry, set by the producer when it has one. */
  readonly id: string | number | undefined;
  acknowledger: Acknowledger<A>;
  readonly ackRef: unknown;
  ackData: unknown;
  /** The batcher this message goes to. @defaultValue 'default' */
  batcher = 'default';
  /** Messages are batched per key within a batcher. @defaultValue 'default' */
  batchKey: unknown = 'default';
  batchMode: BatchMode = 'bulk';
  status: MessageStatus = OK;
  /** @internal `performance.now()` when the message entered the pipeline. */
  emittedAt = 0;

  constructor(init: MessageInit<D, M, A>) {
    this.data = init.data;
    this.#metadata = init.metadata;
    this.id = init.id;
    this.acknowledger = init.acknowledger;
    this.ackRef = init.ackRef;
    this.ackData = init.ackData;
  }

  /** What the producer knows about the message (topic, headers, receipt…); `{}` if nothing. */
  get metadata(): M {
    return (this.#metadata ??= {} as M);
  }

  set metadata(metadata: M) {
    this.#metadata = metadata;
  }

  /** Replaces the data with `fn(data)`. */
  updateData<E>(fn: (data: D) => E): Message<E, M, A> {
    const self = this as unknown as Message<E, M, A>;
    self.data = fn(this.data);
    return self;
  }

  /** Replaces the data. */
  putData<E>(data: E): Message<E, M, A> {
    const self = this as unknown as Message<E, M, A>;
    self.data = data;
    return self;
  }

  /** Sends the message to the named batcher (it must exist in the pipeline). */
  putBatcher(batcher: string): this {
    this.batcher = batcher;
    return this;
  }

  /** Groups the message with others of the same key inside its batcher. */
  putBatchKey(batchKey: unknown): this {
    this.batchKey = batchKey;
    return this;
  }

  /** `'flush'` sends the message's batch as soon as the current chunk is handled. */
  putBatchMode(batchMode: BatchMode): this {
    if (batchMode !== 'bulk' && batchMode !== 'flush') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `putBatchMode: expected 'bulk' or 'flush', got ${String(batchMode)}`,
      );
    }
    this.batchMode = batchMode;
    return this;
  }

  /**
   * Marks the message failed with `reason`. It goes to `handleFailed`, then
   * is acked as failed. Its type says `data: never`: a failed message
   * reaches no batch, so `handleBatch`'s message type (what `handleMessage`
   * returns) is not widened by the messages it fails.
   */
  fail(reason: unknown): Message<never, M, A> {
    this.status = { kind: 'failed', reason };
    return this as unknown as Message<never, M, A>;
  }

  /** True unless the message has failed. */
  get ok(): boolean {
    // Most messages still hold the shared OK: one comparison, no load.
    return this.status === OK || this.status.kind === 'ok';
  }

  /**
   * Per-message ack options, interpreted by the producer's acknowledger
   * (e.g. `{ onFailure: 'requeue' }`); their type is the producer's (`A`),
   * and the acknowledger still checks them at run time. Throws if it has
   * no `configure`, or if it rejects the options.
   */
  configureAck(options: Readonly<A>): this {
    if (this.acknowledger.configure === undefined) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        'configureAck: this message’s acknowledger takes no options (it has no configure)',
      );
    }
    this.ackData = this.acknowledger.configure(this.ackRef, this.ackData, options);
    return this;
  }
}

/** The reason to put in logs for a failed message. */
export function failureReason(status: MessageStatus): unknown {
  if (status.kind === 'failed') return status.reason;
  if (status.kind === 'error') return status.error;
  return undefined;
}
