/**
 * `@sluice/core/stage`: the demand-driven stage core (GenStage for
 * TypeScript). Pipelines and Flow are built on it; use it directly for
 * topologies of your own.
 */

// Stages and their callbacks and options
export { Stage, producer, producerConsumer, consumer } from './stage.ts';
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
} from './types.ts';
export type { BufferKeep } from './buffer.ts';

// Dispatchers: how a producer shares its events among its consumers
export type {
  Dispatcher,
  DispatchTarget,
  DispatcherSubscribeOptions,
  PartitionName,
} from './dispatcher.ts';
export { DemandDispatcher, type DemandDispatcherOptions } from './demand-dispatcher.ts';
export { BroadcastDispatcher } from './broadcast-dispatcher.ts';
export { PartitionDispatcher, type PartitionDispatcherOptions } from './partition-dispatcher.ts';

// Streams in and out: iterables to stages, stages to async iterables and tasks
export { fromIterable, type FromIterableOptions } from './from-iterable.ts';
export {
  toAsyncIterable,
  type StreamSource,
  type ToAsyncIterableOptions,
} from './to-async-iterable.ts';
export { taskConsumer, type TaskConsumerOptions } from './task-consumer.ts';

// Telemetry: diagnostics_channel events
export { stageChannels, type DiscardedEvent } from './telemetry.ts';
