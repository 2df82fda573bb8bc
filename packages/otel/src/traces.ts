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
import { sourceOf, type Carrier, type MessageSource } from './source.ts';
import type { Target, Targets } from './targets.ts';

/** What is kept about a message between its events. */
export interface MessageRecord {
  readonly target: Target;
  /** The context the message was created in, when its headers carried one. */
  readonly creation: SpanContext | undefined;
  /** Its process span, or undefined when traces are off. */
  readonly span: Span | undefined;
  /** Whether the process span was sampled in (an ended span no longer says). */
  readonly recorded: boolean;
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

  /** What is kept about `message`, if it was seen starting. */
  record(message: Message): MessageRecord | undefined {
    return this.#messages.get(message);
  }

  messageStart(e: MessageStartEvent): MessageRecord {
    const message = e.message;
    const source = sourceOf(message, this.#targets.hints(e.pipeline));
    const target = this.#targets.of(e.pipeline, source);
    const tracer = this.#tracer;
    let creation: SpanContext | undefined;
    let span: Span | undefined;
    let recorded = false;
    if (tracer !== undefined) {
      creation = extractCreation(source.carrier);
      span = tracer.startSpan(target.processName, {
        kind: SpanKind.CONSUMER,
        root: true,
        attributes: target.spanAttributes,
        ...(creation !== undefined && { links: [{ context: creation }] }),
      });
      recorded = span.isRecording();
      if (recorded) {
        setMessageAttributes(span, message, source);
        span.setAttribute(SLUICE_PROCESSOR, e.processor);
        const ackData = message.ackData;
        if (typeof ackData === 'object' && ackData !== null) {
          this.#bySource.set(ackData, span.spanContext());
        }
      }
    }
    const record: MessageRecord = { target, creation, span, recorded };
    this.#messages.set(message, record);
    return record;
  }

  messageStop(e: MessageStopEvent, record: MessageRecord): void {
    const span = record.span;
    if (span === undefined) return;
    const type = messageErrorType(e.message);
    if (type !== undefined) failed(span, type);
    span.end();
  }

  messageException(e: MessageExceptionEvent, record: MessageRecord): void {
    const span = record.span;
    if (span === undefined) return;
    if (e.error instanceof Error) span.recordException(e.error);
    failed(span, errorType(e.error));
    span.end();
  }

  batchStart(e: BatchProcessorStartEvent): void {
    const tracer = this.#tracer;
    if (tracer === undefined || e.messages.length === 0) return;
    const links: Link[] = [];
    let target: Target | undefined;
    let mixed = false;
    for (const message of e.messages) {
      const r = this.#messages.get(message);
      const t = r?.target ?? this.#targets.of(e.pipeline, sourceOf(message, undefined));
      if (target === undefined) target = t;
      else if (t.destination !== target.destination) mixed = true;
      const context = r?.creation ?? r?.span?.spanContext();
      if (context !== undefined) links.push({ context });
    }
    const t = target as Target;
    const span = tracer.startSpan(mixed ? 'process' : t.processName, {
      kind: SpanKind.CONSUMER,
      root: true,
      attributes: {
        ...t.spanAttributes,
        [MESSAGING_BATCH_MESSAGE_COUNT]: e.messages.length,
        [SLUICE_BATCHER]: e.batcher,
      },
      links,
    });
    this.#batches.set(e.batchInfo, span);
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
    let links: Link[] | undefined;
    let target: Target | undefined;
    for (const message of messages) {
      const r = this.#messages.get(message);
      if (r?.recorded !== true) continue;
      target ??= r.target;
      (links ??= []).push({ context: (r.span as Span).spanContext() });
    }
    if (links === undefined || target === undefined) return;
    const span = (this.#tracer as Tracer).startSpan(
      target.destination === '' ? operation : `${operation} ${target.destination}`,
      {
        kind: SpanKind.CLIENT,
        root: true,
        attributes: {
          ...target.spanAttributes,
          [MESSAGING_OPERATION_TYPE]: 'settle',
          [MESSAGING_OPERATION_NAME]: operation,
          [MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
        },
        links,
      },
    );
    span.end();
  }

  /** The process span's context of the message whose `ackData` is `source`, if it was recorded. */
  contextOf(source: unknown): SpanContext | undefined {
    return typeof source === 'object' && source !== null ? this.#bySource.get(source) : undefined;
  }
}

function failed(span: Span, type: string): void {
  span.setAttribute(ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** The message's own attributes: id, partition, and the broker's specifics. */
function setMessageAttributes(span: Span, message: Message, source: MessageSource): void {
  if (message.id !== undefined) span.setAttribute(MESSAGING_MESSAGE_ID, String(message.id));
  if (source.partition !== undefined) {
    span.setAttribute(MESSAGING_DESTINATION_PARTITION_ID, source.partition);
  }
  const m = message.metadata;
  if (source.system === 'kafka' && typeof m['offset'] === 'string') {
    span.setAttribute(MESSAGING_KAFKA_OFFSET, Number(m['offset']));
  } else if (source.system === 'rabbitmq') {
    span.setAttribute(MESSAGING_RABBITMQ_ROUTING_KEY, m['routingKey'] as string);
    span.setAttribute(MESSAGING_RABBITMQ_DELIVERY_TAG, m['deliveryTag'] as number);
  }
}
