/**
 * `PipelineDefinition`: what `createPipeline` takes, typed. Written by
 * hand because zod cannot say the generic types the handlers get
 * (docs/typing.md); definition.ts checks it agrees with the schema.
 */
import type { z } from 'zod';
import type { BatchInfo } from './batch-info.ts';
import type {
  AnyMessage,
  BatchSizeAccumulator,
  BatcherDefinition,
  ProcessorDefinition,
  ProducerDefinition,
  definitionSchemas,
} from './definition.ts';
import type { ProducerModule, Transformer } from './producer-module.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import type { PipelineMessage } from './typing.ts';

type Callbacks = 'context' | 'handleMessage' | 'handleBatch' | 'handleFailed' | 'prepareMessages';
type Typed = 'producer' | 'processors' | 'batchers' | 'schema';

/**
 * Everything `createPipeline` takes. `C` is the type of `context`, which
 * the callbacks receive; they are called on this object, so `this` works.
 *
 * `P` (the producer module), `T` (the transformer) and `S` (the schema)
 * are inferred by `createPipeline` and `definePipeline`: `handleMessage`
 * gets `Message<Data, Metadata, AckOptions>` with the types the producer
 * declares, the transformer's when there is one, and the schema's output
 * as `data` when there is one. `B`, what `handleMessage` returns, is what
 * `handleBatch` gets (see docs/typing.md).
 */
export interface PipelineDefinition<
  C = unknown,
  P extends ProducerModule<unknown, object, object> = ProducerModule,
  T extends Transformer<unknown, object, object> | undefined = Transformer | undefined,
  S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
  B extends AnyMessage = PipelineMessage<P, T, S>,
> extends Omit<
  z.input<ReturnType<typeof definitionSchemas>['pipelineDefinitionObject']>,
  Callbacks | Typed
> {
  /** The source, how many instances of it run, its transformer and rate limit. */
  readonly producer: Omit<ProducerDefinition, 'module' | 'transformer'> & {
    /** The source, e.g. `sqsProducer({ queueUrl })`; its message types reach the handlers. */
    readonly module: P;
    /** Maps what the producer emits to a `Message`; the handlers then see its type. */
    readonly transformer?: T;
  };
  /** Exactly one processor group, e.g. `{ default: { concurrency: 8 } }`. */
  readonly processors: Readonly<
    Record<string, Omit<ProcessorDefinition, 'schema'> & { readonly schema?: S }>
  >;
  /**
   * Named batchers. With any batcher, every successful message is batched.
   * A custom `batchSize` sees messages of the type `handleMessage` returns.
   */
  readonly batchers?: Readonly<
    Record<
      string,
      Omit<BatcherDefinition, 'batchSize'> & {
        readonly batchSize?: number | BatchSizeAccumulator<unknown, B> | undefined;
      }
    >
  >;
  /**
   * A Standard Schema validator (zod, valibot, arktype…) that parses
   * `message.data` before `handleMessage`; `data` then has its output
   * type. A mismatch fails the message with `ERR_INVALID_DATA`.
   */
  readonly schema?: S;
  /** Passed to every callback. */
  readonly context?: C;
  /**
   * Handles one message; return it (possibly updated, failed or routed to
   * a batcher). `signal` aborts at the shutdown deadline or the processor
   * `timeout`.
   */
  handleMessage(
    processor: string,
    message: PipelineMessage<P, T, S>,
    context: C,
    signal: AbortSignal,
  ): B | PromiseLike<B>;
  /**
   * Handles a batch; return the messages (each successful or failed). Any
   * message not returned is failed and acked as failed. The messages have
   * the type `handleMessage` returns (`B`): `putData` there changes it.
   */
  handleBatch?(
    batcher: string,
    messages: B[],
    batchInfo: BatchInfo,
    context: C,
    signal: AbortSignal,
  ): readonly AnyMessage[] | PromiseLike<readonly AnyMessage[]>;
  /**
   * Sees the failed messages of one processor or batch invocation before
   * they are acked, e.g. to `configureAck` them. Return them all. A message
   * that failed its `schema` still holds the data as received; one that
   * failed in a batch has the type `handleMessage` returned.
   */
  handleFailed?(
    messages: (PipelineMessage<P, T, S> | B)[],
    context: C,
    signal: AbortSignal,
  ): readonly AnyMessage[] | PromiseLike<readonly AnyMessage[]>;
  /**
   * Runs before `handleMessage` (and before `schema`) on a processor's
   * whole chunk, e.g. to preload. Return them all.
   */
  prepareMessages?(
    messages: PipelineMessage<P, undefined | T, undefined>[],
    context: C,
    signal: AbortSignal,
  ): readonly AnyMessage[] | PromiseLike<readonly AnyMessage[]>;
}
