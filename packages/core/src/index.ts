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
export { silentLogger, type Logger } from './logger.ts';
export { fromIterable, type FromIterableOptions } from './stage/from-iterable.ts';
export {
  toAsyncIterable,
  type StreamSource,
  type ToAsyncIterableOptions,
} from './stage/to-async-iterable.ts';
export { taskConsumer, type TaskConsumerOptions } from './stage/task-consumer.ts';

// Pipelines (Broadway's model)
export {
  createPipeline,
  type Pipeline,
  type PipelineState,
  type StopReport,
  type Topology,
} from './pipeline/pipeline.ts';
export type {
  BatchSizeAccumulator,
  BatcherDefinition,
  PartitionBy,
  PipelineDefinition,
  ProcessorDefinition,
  ProducerDefinition,
  ResolvedDefinition,
} from './pipeline/definition.ts';
export { batcherSchema, processorSchema } from './pipeline/definition.ts';
export {
  Message,
  OK,
  failureReason,
  noopAcknowledger,
  type Acknowledger,
  type BatchMode,
  type MessageInit,
  type MessageStatus,
} from './pipeline/message.ts';
export { ackImmediately } from './pipeline/ack-immediately.ts';
export type { BatchInfo } from './pipeline/batch-info.ts';
export type {
  PrepareContext,
  ProducerContext,
  ProducerInstance,
  ProducerModule,
  Transformer,
} from './pipeline/producer-module.ts';
export type { RateLimit } from './pipeline/rate-limiter.ts';
export type { PipelineStats } from './pipeline/runtime.ts';
export { stopOnSignals, type StopOnSignalsOptions } from './pipeline/signals.ts';
export { generatorProducer, type GeneratorOptions } from './pipeline/generator-producer.ts';
export { pipelineChannels } from './pipeline/telemetry.ts';
export type {
  AckErrorEvent,
  AckEvent,
  BatchProcessorStartEvent,
  BatchProcessorStopEvent,
  BatcherStartEvent,
  BatcherStopEvent,
  HandleFailedEvent,
  MessageExceptionEvent,
  MessageStartEvent,
  MessageStopEvent,
  PipelineEventBase,
  PipelineStopEvent,
  ProcessorStartEvent,
  ProcessorStopEvent,
  ProducerErrorEvent,
  RateLimitEvent,
  TopologyInitEvent,
} from './pipeline/telemetry.ts';

// For producer authors and tools: the same option parsing as the core's,
// with errors that name every bad option's path and value.
export {
  joinPath as optionPath,
  parseOptions,
  schemaProblems,
  show as showValue,
  zFunction,
  type SchemaProblem,
} from './options/parse.ts';
// Secrets out of messages, logs and printed configurations: one rule for
// core's errors, the producers' and the CLI's.
export {
  REDACTED,
  isSecretKey,
  redact,
  redactText,
  redactUrl,
  urlSecrets,
  type RedactOptions,
  type SecretSource,
} from './internal/redact.ts';
export {
  MAX_CONCURRENCY,
  MAX_SUBSCRIPTIONS,
  MAX_TIMER_MS,
  concurrencyInt,
  nonNegativeInt,
  positiveInt,
  positiveMs,
} from './options/blocks.ts';

// Flow: partitioned dataflow over the stage core
export { Flow } from './flow/flow.ts';
export type { MergeOptions } from './flow/sources.ts';
export type { JoinMode, JoinOptions } from './flow/join.ts';
export type { LayerOptions, PartitionOptions, TriggerResult } from './flow/plan.ts';
export type { FromProducerOptions } from './flow/from-producer.ts';
export { Window, type TriggerInfo, type TriggerKind, type WindowSpec } from './flow/window.ts';
