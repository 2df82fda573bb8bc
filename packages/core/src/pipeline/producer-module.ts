/**
 * The contract between a pipeline and its source. docs/writing-a-producer.md
 * explains it with an example.
 */
import type { Logger } from '../logger.ts';
import type { BacklogReporter } from './backlog.ts';
import type { PartitionBy, ResolvedDefinition } from './definition.ts';
import type { MaybePromise } from '../stage/types.ts';
import type { AckOptions, Message } from './message.ts';

/** What the pipeline tells a producer instance about its place. */
export interface ProducerContext {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** This instance's index, `0..concurrency-1`. */
  readonly index: number;
  /** How many producer instances the pipeline runs. */
  readonly concurrency: number;
  /** A logger bound to this producer (pipeline, stage, index). */
  readonly logger: Logger;
  /** The pipeline's validated definition, e.g. to check batchTimeout against a visibility timeout. */
  readonly definition: ResolvedDefinition<unknown>;
  /**
   * Emits messages outside `handleDemand`, e.g. when a long poll returns
   * or a broker pushes. Only emit what consumers asked for: remember the
   * demand `handleDemand` could not serve at once and emit against it.
   */
  emit(messages: readonly unknown[]): void;
}

/** What a producer module's `prepareForStart` is told. */
export interface PrepareContext {
  readonly pipeline: string;
  readonly concurrency: number;
  readonly logger: Logger;
  /** The pipeline's validated definition. */
  readonly definition: ResolvedDefinition<unknown>;
  /**
   * Where to report the broker's backlog, for `pipeline.stats()` and the
   * `sluice:backlog` channel. Poll only while `backlog.wanted()`.
   */
  readonly backlog?: BacklogReporter;
}

/** One running producer: the source of one stream of messages. */
export interface ProducerInstance {
  /**
   * Consumers want `demand` more messages. Return up to that many now,
   * and/or emit them later with `context.emit`. Never more than asked.
   */
  handleDemand(demand: number): readonly unknown[] | void | PromiseLike<readonly unknown[] | void>;
  /**
   * Draining has begun: stop fetching, abort in-progress fetches, and
   * emit or release anything already received. Resolve when nothing more
   * will be emitted. Called at once, even while `handleDemand` is pending.
   */
  prepareForDraining?(): void | PromiseLike<void>;
  /**
   * The pipeline has stopped and every ack has settled: close connections.
   * Called once, after the last stage, so acks can use the connection
   * while the pipeline drains.
   */
  terminate?(reason: unknown): void | PromiseLike<void>;
  /**
   * Messages acked through this instance that its broker has not confirmed
   * yet (Kafka: handled, but their offsets not committed). Read when
   * `stop()` settles and added to its `unacked`, so the report counts what
   * the broker will deliver again. Omit it when an ack's own promise settles
   * only once the broker has taken it.
   */
  unconfirmed?(): number;
  /**
   * Whether the instance is connected to its broker now; read by
   * `pipeline.health()` for readiness. Omit it when the instance cannot
   * tell; it then counts as connected once `init` has resolved.
   */
  connected?(): boolean;
  /**
   * `pipeline.pause()` was called. The pipeline already stops asking this
   * instance for messages; implement it to tell the broker too (RabbitMQ
   * cancels its consumer). Messages it already received must still be
   * emitted when asked, never dropped. Errors are logged.
   */
  pause?(): void | PromiseLike<void>;
  /** `pipeline.resume()` was called: undo {@link pause}. Errors are logged. */
  resume?(): void | PromiseLike<void>;
  /**
   * `pipeline.resize()` changed a processor group's or batcher's
   * concurrency; `definition` is the pipeline's definition with the
   * concurrency now in force. Implement it when a setting derived from the
   * definition at `init` (RabbitMQ's default prefetch) should follow.
   * Errors are logged.
   */
  resized?(definition: ResolvedDefinition<unknown>): void | PromiseLike<void>;
}

/**
 * The types a producer module declares for its messages: a type-only
 * record (never set at run time), read by `createPipeline` to type the
 * handlers' messages.
 */
export interface ProducerTypes<D, M extends object, A extends object> {
  /** `message.data`. */
  readonly data: D;
  /** `message.metadata`. */
  readonly metadata: M;
  /** What `message.configureAck` takes. */
  readonly ackOptions: A;
}

/**
 * A source of messages for a pipeline, e.g. `sqsProducer({ queueUrl })`.
 * The pipeline creates `concurrency` instances with `init`.
 *
 * `D`, `M` and `A` are the data, metadata and ack options of the messages
 * it emits (`Message<D, M, A>`); `createPipeline` gives the handlers
 * messages of those types, so they need no casts. A module that emits
 * other values for a `transformer` keeps the defaults.
 */
export interface ProducerModule<
  D = unknown,
  M extends object = Record<string, unknown>,
  A extends object = AckOptions,
> {
  /**
   * Type-only: declares `D`, `M` and `A` for inference. Never set it; it
   * is `undefined` at run time.
   */
  readonly '~types'?: ProducerTypes<D, M, A> | undefined;
  /**
   * Runs once per pipeline start, before any instance, e.g. to check that
   * a queue exists. A thrown error fails `pipeline.start()`. May return a
   * cleanup function, run after the pipeline has stopped.
   */
  prepareForStart?(context: PrepareContext): MaybePromise<void | Cleanup>;
  /**
   * The producer's own routing of messages to processors, used when the
   * definition sets no `partitionBy` for them: a Kafka producer keeps each
   * partition on one processor, in order, and in key mode sends each
   * message to the least busy processor (it releases a key's next message
   * only after the previous one is acked). Set `partitionBy` yourself to
   * take over.
   */
  readonly partitionBy?: PartitionBy;
  /** Creates producer instance `context.index`. A thrown error fails `pipeline.start()`. */
  init(context: ProducerContext): ProducerInstance | PromiseLike<ProducerInstance>;
}

/** Undoes what `prepareForStart` set up; runs after the pipeline stopped. */
export type Cleanup = () => MaybePromise<void>;

/**
 * Turns whatever a producer emits into a {@link Message}; the handlers
 * then see messages of the type it returns.
 */
export type Transformer<
  D = unknown,
  M extends object = Record<string, unknown>,
  A extends object = AckOptions,
> = (event: unknown) => Message<D, M, A>;
