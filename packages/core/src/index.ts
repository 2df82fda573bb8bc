/**
 * @sluice/core: a demand-driven stage core (GenStage for TypeScript).
 *
 * Everything exported here is public API; anything else is internal.
 */
export { Stage, producer, producerConsumer, consumer } from './stage/stage.ts';
export type {
  CallRef,
  CallResult,
  Cancellation,
  CancelMode,
  CommonCallbacks,
  ConsumerCallbacks,
  ConsumerOptions,
  DemandMode,
  EventsResult,
  MaybePromise,
  ProducerCallbacks,
  ProducerConsumerCallbacks,
  ProducerConsumerOptions,
  ProducerOptions,
  ResolvedSubscriptionOptions,
  StageKind,
  SubscribeMode,
  SubscribeTarget,
  Subscription,
  SubscriptionOptions,
} from './stage/types.ts';
export type {
  Dispatcher,
  DispatchTarget,
  DispatcherSubscribeOptions,
  PartitionName,
} from './stage/dispatcher.ts';
export { DemandDispatcher, type DemandDispatcherOptions } from './stage/demand-dispatcher.ts';
export { BroadcastDispatcher } from './stage/broadcast-dispatcher.ts';
export {
  PartitionDispatcher,
  type PartitionDispatcherOptions,
} from './stage/partition-dispatcher.ts';
export type { BufferKeep } from './stage/buffer.ts';
export { stageChannels, type DiscardedEvent } from './stage/telemetry.ts';
export {
  SluiceError,
  InvalidOptionsError,
  isNormalReason,
  type SluiceErrorCode,
  type OptionIssue,
} from './errors.ts';
export type { Logger } from './logger.ts';
export { fromIterable, type FromIterableOptions } from './stage/from-iterable.ts';
export {
  toAsyncIterable,
  type StreamSource,
  type ToAsyncIterableOptions,
} from './stage/to-async-iterable.ts';
export { taskConsumer, type TaskConsumerOptions } from './stage/task-consumer.ts';
