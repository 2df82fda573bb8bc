/**
 * Pipeline telemetry: one `node:diagnostics_channel` channel per event,
 * named here and nowhere else. Every publisher checks `hasSubscribers`
 * first, so an unobserved pipeline pays one property read per event and
 * builds no payload. docs/telemetry.md lists every channel and payload.
 */
import diagnostics from 'node:diagnostics_channel';
import type { BacklogSample } from './backlog.ts';
import type { BatchInfo } from './batch-info.ts';
import type { Message } from './message.ts';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const pipelineChannels = {
  topologyInit: 'sluice:pipeline:init',
  pipelineStop: 'sluice:pipeline:stop',
  processorStart: 'sluice:processor:start',
  processorStop: 'sluice:processor:stop',
  messageStart: 'sluice:processor:message:start',
  messageStop: 'sluice:processor:message:stop',
  messageException: 'sluice:processor:message:exception',
  batcherStart: 'sluice:batcher:start',
  batcherStop: 'sluice:batcher:stop',
  batchProcessorStart: 'sluice:batch-processor:start',
  batchProcessorStop: 'sluice:batch-processor:stop',
  handleFailedStart: 'sluice:handle-failed:start',
  handleFailedStop: 'sluice:handle-failed:stop',
  handleFailedException: 'sluice:handle-failed:exception',
  ack: 'sluice:ack',
  ackError: 'sluice:ack:error',
  rateLimit: 'sluice:rate-limit',
  producerError: 'sluice:producer:error',
  backlog: 'sluice:backlog',
  pipelinePause: 'sluice:pipeline:pause',
  pipelineResize: 'sluice:pipeline:resize',
} as const;

/** Fields every pipeline event carries. */
export interface PipelineEventBase {
  /** The pipeline's name. */
  readonly pipeline: string;
}

export interface TopologyInitEvent extends PipelineEventBase {
  readonly topology: unknown;
}
export interface PipelineStopEvent extends PipelineEventBase {
  readonly unacked: number;
  readonly timedOut: boolean;
  readonly durationMs: number;
}
export interface ProcessorStartEvent extends PipelineEventBase {
  readonly processor: string;
  readonly index: number;
  readonly messages: readonly Message[];
  readonly context: unknown;
}
export interface ProcessorStopEvent extends PipelineEventBase {
  readonly processor: string;
  readonly index: number;
  /** Acked here as successful (no batchers). */
  readonly successfulToAck: readonly Message[];
  /** Sent on to batchers. */
  readonly successfulToForward: readonly Message[];
  readonly failed: readonly Message[];
  readonly durationMs: number;
  readonly context: unknown;
}
export interface MessageStartEvent extends PipelineEventBase {
  readonly processor: string;
  readonly index: number;
  readonly message: Message;
  readonly context: unknown;
}
export interface MessageStopEvent extends MessageStartEvent {
  readonly durationMs: number;
}
export interface MessageExceptionEvent extends MessageStopEvent {
  readonly error: unknown;
}
export interface BatcherStartEvent extends PipelineEventBase {
  readonly batcher: string;
  readonly messages: readonly Message[];
  readonly context: unknown;
}
export interface BatcherStopEvent extends PipelineEventBase {
  readonly batcher: string;
  readonly durationMs: number;
  readonly context: unknown;
}
export interface BatchProcessorStartEvent extends PipelineEventBase {
  readonly batcher: string;
  readonly index: number;
  readonly messages: readonly Message[];
  readonly batchInfo: BatchInfo;
  readonly context: unknown;
}
export interface BatchProcessorStopEvent extends PipelineEventBase {
  readonly batcher: string;
  readonly index: number;
  readonly successful: readonly Message[];
  readonly failed: readonly Message[];
  readonly batchInfo: BatchInfo;
  readonly durationMs: number;
  readonly context: unknown;
}
export interface HandleFailedEvent extends PipelineEventBase {
  /** `processor` or `batch-processor`. */
  readonly stage: string;
  readonly messages: readonly Message[];
  readonly context: unknown;
  readonly durationMs?: number;
  readonly error?: unknown;
}
export interface AckEvent extends PipelineEventBase {
  readonly successful: readonly Message[];
  readonly failed: readonly Message[];
}
export interface AckErrorEvent extends PipelineEventBase {
  readonly error: unknown;
  readonly count: number;
  readonly messages: readonly Message[];
}
export interface RateLimitEvent extends PipelineEventBase {
  /** `closed`: the budget for this interval is spent; `open`: a new interval began. */
  readonly state: 'open' | 'closed';
  readonly allowedMessages: number;
  readonly interval: number;
}
export interface ProducerErrorEvent extends PipelineEventBase {
  readonly index: number;
  readonly error: unknown;
  /** What went wrong: a transformer error, a non-message emitted, a message emitted while draining. */
  readonly kind: 'transformer' | 'not-a-message' | 'emitted-while-draining';
  readonly count: number;
}

/** What waits at the broker for one destination (`sluice:backlog`); see backlog.ts. */
export interface BacklogEvent extends PipelineEventBase, BacklogSample {}

/** `pipeline.pause()` (`paused: true`) or `resume()` (`paused: false`) took effect (`sluice:pipeline:pause`). */
export interface PipelinePauseEvent extends PipelineEventBase {
  readonly paused: boolean;
}

/** `pipeline.resize()` changed a processor group's or batcher's concurrency (`sluice:pipeline:resize`). */
export interface PipelineResizeEvent extends PipelineEventBase {
  /** The stage group's topology name, e.g. `orders.processor.default`. */
  readonly stage: string;
  readonly kind: 'processor' | 'batcher';
  readonly key: string;
  readonly from: number;
  readonly to: number;
}

/** The channel objects, created once. */
export const channels = {
  topologyInit: diagnostics.channel(pipelineChannels.topologyInit),
  pipelineStop: diagnostics.channel(pipelineChannels.pipelineStop),
  processorStart: diagnostics.channel(pipelineChannels.processorStart),
  processorStop: diagnostics.channel(pipelineChannels.processorStop),
  messageStart: diagnostics.channel(pipelineChannels.messageStart),
  messageStop: diagnostics.channel(pipelineChannels.messageStop),
  messageException: diagnostics.channel(pipelineChannels.messageException),
  batcherStart: diagnostics.channel(pipelineChannels.batcherStart),
  batcherStop: diagnostics.channel(pipelineChannels.batcherStop),
  batchProcessorStart: diagnostics.channel(pipelineChannels.batchProcessorStart),
  batchProcessorStop: diagnostics.channel(pipelineChannels.batchProcessorStop),
  handleFailedStart: diagnostics.channel(pipelineChannels.handleFailedStart),
  handleFailedStop: diagnostics.channel(pipelineChannels.handleFailedStop),
  handleFailedException: diagnostics.channel(pipelineChannels.handleFailedException),
  ack: diagnostics.channel(pipelineChannels.ack),
  ackError: diagnostics.channel(pipelineChannels.ackError),
  rateLimit: diagnostics.channel(pipelineChannels.rateLimit),
  producerError: diagnostics.channel(pipelineChannels.producerError),
  backlog: diagnostics.channel(pipelineChannels.backlog),
  pipelinePause: diagnostics.channel(pipelineChannels.pipelinePause),
  pipelineResize: diagnostics.channel(pipelineChannels.pipelineResize),
};
