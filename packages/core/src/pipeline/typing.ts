/**
 * Type-level helpers: which `Message` type a pipeline's handlers see,
 * from its producer module, transformer and schema. No run-time code.
 */
import type { Message } from './message.ts';
import type { ProducerTypes } from './producer-module.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';

/**
 * The message type a producer module declares through its `~types`
 * (a `ProducerModule<D, M, A>`); `Message` for a module that declares none.
 */
export type MessageOf<P> = P extends { readonly '~types'?: infer X }
  ? [NonNullable<X>] extends [ProducerTypes<infer D, infer M, infer A>]
    ? Message<D, M, A>
    : Message
  : Message;

/** `Msg` with `data` replaced by the schema's output type, when there is a schema. */
export type WithSchema<Msg, S> = [S] extends [StandardSchemaV1]
  ? Msg extends Message<unknown, infer M, infer A>
    ? Message<StandardSchemaV1.InferOutput<S>, M, A>
    : never
  : Msg;

/**
 * The message type the handlers of a pipeline see: the transformer's
 * return type when there is a transformer, else the producer module's;
 * with the schema's output as `data` when there is a schema.
 */
export type PipelineMessage<P, T, S> = WithSchema<
  [T] extends [(event: never) => infer R]
    ? R extends Message<unknown, object, object>
      ? R
      : Message
    : MessageOf<P>,
  S
>;
