/**
 * `@sluice/core`: Broadway-style pipelines on a demand-driven stage core.
 *
 * This entry is for pipeline authors and producer authors. The rest of the
 * core has its own door:
 * - `@sluice/core/stage`: the GenStage stage core (stages, dispatchers, streams);
 * - `@sluice/core/flow`: Flow, partitioned dataflow, and its windows;
 * - `@sluice/core/options`: the option schemas, the zod blocks and the parser.
 *
 * Everything exported here is public API; anything else is internal.
 */

// Pipelines: createPipeline and what it takes
export {
  createPipeline,
  definePipeline,
  type Pipeline,
  type PipelineState,
  type StopReport,
  type Topology,
} from './pipeline/pipeline.ts';
export type {
  AnyMessage,
  BatchSizeAccumulator,
  BatcherDefinition,
  PartitionBy,
  PipelineDefinition,
  ProcessorDefinition,
  ProducerDefinition,
  RateLimitingDefinition,
  ResolvedBatcher,
  ResolvedDefinition,
  ResolvedProcessor,
} from './pipeline/definition.ts';
export type { MessageOf, PipelineMessage, WithSchema } from './pipeline/typing.ts';
export type { StandardSchemaV1 } from './pipeline/standard-schema.ts';
export type { RateLimit } from './pipeline/rate-limiter.ts';
export type { MessageCounts } from './pipeline/runtime.ts';
export type { PipelineStats } from './pipeline/types.ts';
export type { PipelineHealth, StuckStage } from './pipeline/health.ts';
export type { BacklogReporter, BacklogSample } from './pipeline/backlog.ts';
export { stopOnSignals, type StopOnSignalsOptions } from './pipeline/signals.ts';

// Messages, their status, and acknowledgers
export {
  Message,
  OK,
  failureReason,
  noopAcknowledger,
  type AckOptions,
  type Acknowledger,
  type BatchMode,
  type MessageInit,
  type MessageStatus,
} from './pipeline/message.ts';
export { ackImmediately } from './pipeline/ack-immediately.ts';
export type { BatchInfo } from './pipeline/batch-info.ts';

// Producer modules: the contract a source implements, and a synthetic one
export type {
  PrepareContext,
  ProducerContext,
  ProducerInstance,
  ProducerModule,
  ProducerTypes,
  Transformer,
} from './pipeline/producer-module.ts';
export { generatorProducer, type GeneratorOptions } from './pipeline/generator-producer.ts';
export type { ResizeResult } from './pipeline/resize.ts';

// Telemetry: diagnostics_channel events
export { pipelineChannels } from './pipeline/telemetry.ts';
export type {
  AckErrorEvent,
  AckEvent,
  BacklogEvent,
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
  PipelinePauseEvent,
  PipelineResizeEvent,
  ProcessorStartEvent,
  ProcessorStopEvent,
  ProducerErrorEvent,
  RateLimitEvent,
  TopologyInitEvent,
} from './pipeline/telemetry.ts';

// Errors and logging
export {
  SluiceError,
  InvalidOptionsError,
  isNormalReason,
  type SluiceErrorCode,
  type OptionIssue,
} from './errors.ts';
export { silentLogger, type Logger } from './logger.ts';

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
