/**
 * `instrumentSluice()`: subscribes to the pipelines' and producers'
 * `diagnostics_channel` events and turns them into OpenTelemetry spans and
 * metrics. Core and the producers know nothing of OpenTelemetry: with no
 * instrumentation, nothing subscribes and nothing is paid.
 */
import diagnostics from 'node:diagnostics_channel';
import { ROOT_CONTEXT, metrics, propagation, trace } from '@opentelemetry/api';
import {
  pipelineChannels,
  type AckEvent,
  type BatchProcessorStartEvent,
  type BatchProcessorStopEvent,
  type MessageExceptionEvent,
  type MessageStartEvent,
  type MessageStopEvent,
} from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import { errorType, messageErrorType } from './errors.ts';
import { Metrics } from './metrics.ts';
import { otelOptionsSchema, type OtelOptions } from './options.ts';
import {
  ERROR_TYPE,
  MESSAGING_CONSUMER_GROUP_NAME,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM,
} from './semconv.ts';
import { Targets, queueName } from './targets.ts';
import { Traces } from './traces.ts';

/** The instrumentation's name and version, as tracers and meters are named. */
export const INSTRUMENTATION_NAME = '@sluice/otel';
export const INSTRUMENTATION_VERSION = '0.1.0';

/**
 * The channel producers publish on just before they publish a copy of a
 * message (dead letter, retry); `@sluice/producers` exports it as
 * `outgoingChannel`.
 */
export const OUTGOING_CHANNEL = 'sluice:producer:outgoing';

/** The producer channels read for the client-operation metric and consumer groups. */
const KAFKA_FETCH = 'sluice:kafka:fetch';
const KAFKA_COMMIT = 'sluice:kafka:commit';
const SQS_RECEIVE_STOP = 'sluice:sqs:receive:stop';
const SQS_RECEIVE_EXCEPTION = 'sluice:sqs:receive:exception';

/** A running instrumentation; {@link SluiceInstrumentation.disable} unsubscribes it. */
export interface SluiceInstrumentation {
  /** Stops listening. Spans already started end as their events arrive no more: call it after `stop()`. */
  disable(): void;
}

interface OutgoingEvent {
  readonly source: unknown;
  readonly headers: Record<string, string>;
}

/**
 * Starts tracing and measuring every Sluice pipeline in this process,
 * through the given providers or the global ones (set up by the
 * OpenTelemetry SDK). Call it once, before the pipelines start.
 *
 * @throws InvalidOptionsError naming every bad option
 */
export function instrumentSluice(options: OtelOptions = {}): SluiceInstrumentation {
  const o = parseOptions(otelOptionsSchema, options, '@sluice/otel options');
  const targets = new Targets((pipeline) => o.pipelines[pipeline]);
  const tracer = o.traces
    ? (o.tracerProvider ?? trace.getTracerProvider()).getTracer(
        INSTRUMENTATION_NAME,
        INSTRUMENTATION_VERSION,
      )
    : undefined;
  const traces = new Traces(tracer, targets);
  const meters = o.metrics
    ? new Metrics(
        (o.meterProvider ?? metrics.getMeterProvider()).getMeter(
          INSTRUMENTATION_NAME,
          INSTRUMENTATION_VERSION,
        ),
        targets,
      )
    : undefined;

  const handlers: [string, (payload: unknown) => void][] = [
    [
      pipelineChannels.messageStart,
      (p) => {
        const e = p as MessageStartEvent;
        const target = targets.forMessage(e.pipeline, e.message);
        traces.messageStart(e, target);
        meters?.consumed(target);
      },
    ],
    [
      pipelineChannels.messageStop,
      (p) => {
        const e = p as MessageStopEvent;
        traces.messageStop(e);
        meters?.processed(
          targets.forMessage(e.pipeline, e.message),
          e.durationMs,
          messageErrorType(e.message),
        );
      },
    ],
    [
      pipelineChannels.messageException,
      (p) => {
        const e = p as MessageExceptionEvent;
        traces.messageException(e);
        meters?.processed(
          targets.forMessage(e.pipeline, e.message),
          e.durationMs,
          errorType(e.error),
        );
      },
    ],
    [pipelineChannels.batchProcessorStart, (p) => traces.batchStart(p as BatchProcessorStartEvent)],
    [pipelineChannels.batchProcessorStop, (p) => traces.batchStop(p as BatchProcessorStopEvent)],
    [pipelineChannels.ack, (p) => traces.ack(p as AckEvent)],
    [
      OUTGOING_CHANNEL,
      (p) => {
        const e = p as OutgoingEvent;
        const context = traces.contextOf(e.source);
        if (context === undefined) return;
        propagation.inject(trace.setSpanContext(ROOT_CONTEXT, context), e.headers);
      },
    ],
    [
      KAFKA_FETCH,
      (p) => {
        const e = p as { pipeline: string; groupId: string };
        targets.learnGroup(e.pipeline, e.groupId);
      },
    ],
    [SQS_RECEIVE_STOP, (p) => sqsReceive(p as SqsReceive)],
    [SQS_RECEIVE_EXCEPTION, (p) => sqsReceive(p as SqsReceive)],
    [KAFKA_COMMIT, (p) => kafkaCommit(p as KafkaCommit)],
  ];

  interface SqsReceive {
    queueUrl: string;
    durationMs: number;
    error?: unknown;
  }
  function sqsReceive(e: SqsReceive): void {
    const queue = queueName(e.queueUrl);
    targets.learnQueue(queue);
    meters?.operation(
      {
        [MESSAGING_SYSTEM]: 'aws_sqs',
        [MESSAGING_DESTINATION_NAME]: queue,
        [MESSAGING_OPERATION_TYPE]: 'receive',
        [MESSAGING_OPERATION_NAME]: 'ReceiveMessage',
        ...('error' in e && { [ERROR_TYPE]: errorType(e.error) }),
      },
      e.durationMs,
    );
  }

  interface KafkaCommit {
    groupId: string;
    durationMs: number;
    offsets: readonly { topic: string }[];
    error?: unknown;
  }
  function kafkaCommit(e: KafkaCommit): void {
    const topic = e.offsets[0]?.topic;
    meters?.operation(
      {
        [MESSAGING_SYSTEM]: 'kafka',
        [MESSAGING_CONSUMER_GROUP_NAME]: e.groupId,
        [MESSAGING_OPERATION_TYPE]: 'settle',
        [MESSAGING_OPERATION_NAME]: 'commit',
        ...(topic !== undefined && { [MESSAGING_DESTINATION_NAME]: topic }),
        ...(e.error !== undefined && { [ERROR_TYPE]: errorType(e.error) }),
      },
      e.durationMs,
    );
  }

  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
    },
  };
}
