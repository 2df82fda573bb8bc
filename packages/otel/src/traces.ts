/**
 * The spans: a `process {destination}` CONSUMER span per message, from the
 * moment a processor takes it until `handleMessage` returns, a root span
 * linked to the context the message was created in; a `process` span per
 * batch with a link per message; an `ack`/`nack` CLIENT span per
 * acknowledgement, linked to the messages' process spans. What the
 * process span is also goes into what Sluice publishes again (dead
 * letters, retries), so a trace goes on across them.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  trace,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type {
  AckEvent,
  BatchInfo,
  BatchProcessorStartEvent,
  BatchProcessorStopEvent,
  Message,
  MessageExceptionEvent,
  MessageStartEvent,
  MessageStopEvent,
} from '@sluice/core';
import { errorType, messageErrorType } from './errors.ts';
import {
  ERROR_TYPE,
  MESSAGING_BATCH_MESSAGE_COUNT,
  MESSAGING_DESTINATION_PARTITION_ID,
  MESSAGING_KAFKA_OFFSET,
  MESSAGING_MESSAGE_ID,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_RABBITMQ_DELIVERY_TAG,
  MESSAGING_RABBITMQ_ROUTING_KEY,
  OTHER_ERROR,
  SLUICE_BATCHER,
  SLUICE_PROCESSOR,
} from './semconv.ts';
import { carrierOf, type Carrier } from './source.ts';
import type { Target, Targets } from './targets.ts';

/** What is kept about a message between its events. */
export interface MessageRecord {
  readonly target: Target;
  /** The context the message was created in, when its headers carried one. */
  readonly creation: SpanContext | undefined;
  /** Its process span: only recorded spans are kept. */
  readonly span: Span;
}

const getter = {
  keys: (c: Carrier) => c.keys(),
  get: (c: Carrier, key: string) => c.get(key),
};

/** The creation context in `carrier`, through the global propagator; undefined if none. */
export function extractCreation(carrier: Carrier | undefined): SpanContext | undefined {
  if (carrier === undefined) return undefined;
  const context = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier, getter));
  return context !== undefined && trace.isSpanContextValid(context) ? context : undefined;
}

/** Starts, ends and links the spans; keeps what the metrics need per message too. */
export class Traces {
  readonly #tracer: Tracer | undefined;
  readonly #targets: Targets;
  readonly #messages = new WeakMap<Message, MessageRecord>();
  /** Recorded process spans by the message's `ackData`: what a dead letter is a copy of. */
  readonly #bySource = new WeakMap<object, SpanContext>();
  readonly #batches = new WeakMap<BatchInfo, Span>();

  /** @param tracer undefined when only metrics are wanted */
  constructor(tracer: Tracer | undefined, targets: Targets) {
    this.#tracer = tracer;
    this.#targets = targets;
  }

  /**
   * Starts the message's process span. The span starts with the shared
   * attributes and no link; only a recorded span then reads the creation
   * context (its link) and the message's own attributes, so a sampled-out
   * message costs no header parsing (samplers therefore see no link).
   */
  messageStart(e: MessageStartEvent, target: Target): void {
    const tracer = this.#tracer;
    if (tracer === undefined) return;
    const message = e.message;
    const span = tracer.startSpan(
      target.processName,
      startOptions(target, e.processor),
      ROOT_CONTEXT,
    );
    // A span sampled out is not kept: ending it would do nothing.
    if (!span.isRecording()) return;
    const m = message.metadata;
    const system = target.system;
    const creation = extractCreation(carrierOf(m, system));
    if (creation !== undefined) span.addLink({ context: creation });
    setMessageAttributes(span, message, system, m);
    const ackData = message.ackData;
    if (typeof ackData === 'object' && ackData !== null) {
      this.#bySource.set(ackData, span.spanContext());
    }
    this.#messages.set(message, { target, creation, span });
  }

  messageStop(e: MessageStopEvent): void {
    const span = this.#messages.get(e.message)?.span;
    if (span === undefined) return;
    const type = messageErrorType(e.message);
    if (type !== undefined) failed(span, type);
    span.end();
  }

  messageException(e: MessageExceptionEvent): void {
    const span = this.#messages.get(e.message)?.span;
    if (span === undefined) return;
    if (e.error instanceof Error) span.recordException(e.error);
    failed(span, errorType(e.error));
    span.end();
  }

  batchStart(e: BatchProcessorStartEvent): void {
    const tracer = this.#tracer;
    const messages = e.messages;
    if (tracer === undefined || messages.length === 0) return;
    const first = messages[0] as Message;
    const target = this.#messages.get(first)?.target ?? this.#targets.forMessage(e.pipeline, first);
    const span = tracer.startSpan(
      target.processName,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...target.spanAttributes,
          [MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
          [SLUICE_BATCHER]: e.batcher,
        },
      },
      ROOT_CONTEXT,
    );
    this.#batches.set(e.batchInfo, span);
    if (!span.isRecording()) return;
    // One link per message: to the context it was created in, else to its process span.
    const links: Link[] = [];
    for (const message of messages) {
      const r = this.#messages.get(message);
      const context =
        r?.creation ??
        r?.span.spanContext() ??
        extractCreation(carrierOf(message.metadata, target.system));
      if (context !== undefined) links.push({ context });
    }
    span.addLinks(links);
  }

  batchStop(e: BatchProcessorStopEvent): void {
    const span = this.#batches.get(e.batchInfo);
    if (span === undefined) return;
    this.#batches.delete(e.batchInfo);
    const first = e.failed[0];
    if (first !== undefined) failed(span, messageErrorType(first) ?? OTHER_ERROR);
    span.end();
  }

  /** `ack` and `nack` spans, when at least one of their messages' process spans was recorded. */
  ack(e: AckEvent): void {
    if (this.#tracer === undefined) return;
    if (e.successful.length > 0) this.#settle('ack', e.successful);
    if (e.failed.length > 0) this.#settle('nack', e.failed);
  }

  #settle(operation: 'ack' | 'nack', messages: readonly Message[]): void {
    let target: Target | undefined;
    for (const message of messages) {
      target = this.#messages.get(message)?.target;
      if (target !== undefined) break;
    }
    if (target === undefined) return;
    const span = (this.#tracer as Tracer).startSpan(
      target.destination === '' ? operation : `${operation} ${target.destination}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...target.spanAttributes,
          [MESSAGING_OPERATION_TYPE]: 'settle',
          [MESSAGING_OPERATION_NAME]: operation,
          [MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
        },
      },
      ROOT_CONTEXT,
    );
    // Links only for a recorded span: one per message whose process span was recorded.
    if (span.isRecording()) {
      const links: Link[] = [];
      for (const message of messages) {
        const r = this.#messages.get(message);
        if (r !== undefined) links.push({ context: r.span.spanContext() });
      }
      span.addLinks(links);
    }
    span.end();
  }

  /** The process span's context of the message whose `ackData` is `source`, if it was recorded. */
  contextOf(source: unknown): SpanContext | undefined {
    return typeof source === 'object' && source !== null ? this.#bySource.get(source) : undefined;
  }
}

/**
 * The options every process span of `target` in `processor` starts with,
 * built once: the shared attributes and the processor, passed at start so
 * the sampler sees them and no call sets them after. No `root: true`: the
 * spans start in `ROOT_CONTEXT` already (the option would copy it).
 */
const startOptionsOf = new WeakMap<Target, Map<string, SpanOptions>>();
function startOptions(target: Target, processor: string): SpanOptions {
  let byProcessor = startOptionsOf.get(target);
  if (byProcessor === undefined) {
    byProcessor = new Map();
    startOptionsOf.set(target, byProcessor);
  }
  let options = byProcessor.get(processor);
  if (options === undefined) {
    const attributes = { ...target.spanAttributes, [SLUICE_PROCESSOR]: processor };
    options = { kind: SpanKind.CONSUMER, attributes };
    byProcessor.set(processor, options);
  }
  return options;
}

function failed(span: Span, type: string): void {
  span.setAttribute(ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** The message's own attributes: id, partition, and the broker's specifics. */
function setMessageAttributes(
  span: Span,
  message: Message,
  system: string,
  m: Record<string, unknown>,
): void {
  if (message.id !== undefined) span.setAttribute(MESSAGING_MESSAGE_ID, String(message.id));
  if (typeof m['partition'] === 'number') {
    span.setAttribute(MESSAGING_DESTINATION_PARTITION_ID, String(m['partition']));
  }
  if (system === 'kafka' && typeof m['offset'] === 'string') {
    span.setAttribute(MESSAGING_KAFKA_OFFSET, Number(m['offset']));
  } else if (system === 'rabbitmq') {
    span.setAttribute(MESSAGING_RABBITMQ_ROUTING_KEY, m['routingKey'] as string);
    span.setAttribute(MESSAGING_RABBITMQ_DELIVERY_TAG, m['deliveryTag'] as number);
  }
}
