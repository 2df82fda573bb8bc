/**
 * What a message says about where it came from, read from the metadata
 * each Sluice producer gives it: the messaging system, the destination,
 * the partition, and the headers its creation context travels in (Kafka
 * record headers, RabbitMQ headers, SQS message attributes or the
 * `AWSTraceHeader` system attribute). Nothing here allocates for a
 * message without headers.
 */
import type { Message } from '@sluice/core';

/** Which broker a message came from, as `messaging.system` names it. */
export type MessagingSystem = 'kafka' | 'rabbitmq' | 'aws_sqs' | 'sluice';

/** A message's headers, read through one interface whatever the broker. */
export interface Carrier {
  keys(): string[];
  get(key: string): string | undefined;
}

/** What the pipeline options tell about a pipeline's source, overriding what is read. */
export interface SourceHints {
  readonly system?: string | undefined;
  readonly destination?: string | undefined;
  readonly consumerGroup?: string | undefined;
}

/** Where one message came from. */
export interface MessageSource {
  readonly system: string;
  readonly destination: string;
  /** The partition (Kafka) as a string, or undefined. */
  readonly partition: string | undefined;
  /** The headers the creation context may be in; undefined when there are none. */
  readonly carrier: Carrier | undefined;
}

type Meta = Record<string, unknown>;

/** The messaging system `metadata` comes from, by its shape; `hints.system` wins. */
export function systemOf(m: Meta, hints: SourceHints | undefined): string {
  if (hints?.system !== undefined) return hints.system;
  if (typeof m['topic'] === 'string' && typeof m['partition'] === 'number') return 'kafka';
  if (typeof m['deliveryTag'] === 'number' && typeof m['routingKey'] === 'string') {
    return 'rabbitmq';
  }
  if (typeof m['receiptHandle'] === 'string' && typeof m['md5OfBody'] === 'string') {
    return 'aws_sqs';
  }
  return 'sluice';
}

/**
 * The destination: the Kafka topic, RabbitMQ's `exchange:routingKey` (the
 * routing key alone on the default exchange, where it names the queue);
 * '' when the message does not say (SQS). `hints.destination` wins.
 */
export function destinationOf(m: Meta, system: string, hints: SourceHints | undefined): string {
  if (hints?.destination !== undefined) return hints.destination;
  if (system === 'kafka') return m['topic'] as string;
  if (system === 'rabbitmq' && typeof m['routingKey'] === 'string') {
    const exchange = typeof m['exchange'] === 'string' ? m['exchange'] : '';
    return exchange === '' ? m['routingKey'] : `${exchange}:${m['routingKey']}`;
  }
  return '';
}

/** The headers the creation context may be in; undefined when there are none. */
export function carrierOf(m: Meta, system: string): Carrier | undefined {
  return system === 'aws_sqs'
    ? sqsCarrier(m['messageAttributes'], m['attributes'])
    : recordCarrier(m['headers']);
}

/** Reads `message`'s source at once; `hints` (from the options) win over what is read. */
export function sourceOf(message: Message, hints: SourceHints | undefined): MessageSource {
  const m = message.metadata as Meta;
  const system = systemOf(m, hints);
  return {
    system,
    destination: destinationOf(m, system, hints),
    partition: typeof m['partition'] === 'number' ? String(m['partition']) : undefined,
    carrier: carrierOf(m, system),
  };
}

/** Header values as text: strings as they are, Buffers as UTF-8, the first of an array. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return text(value[0]);
  return undefined;
}

/** Kafka, RabbitMQ and in-memory headers: a record of strings or Buffers. */
function recordCarrier(headers: unknown): Carrier | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const h = headers as Meta;
  // A for-in finds no key on the shared empty headers object without allocating.
  for (const _ in h) return new RecordCarrier(h);
  return undefined;
}

/** A record of headers as a {@link Carrier}: one small object, no closures. */
class RecordCarrier implements Carrier {
  readonly #headers: Meta;
  constructor(headers: Meta) {
    this.#headers = headers;
  }
  keys(): string[] {
    return Object.keys(this.#headers);
  }
  get(key: string): string | undefined {
    return text(this.#headers[key]);
  }
}

/** The system attribute X-Ray's header arrives in, when the queue is asked for it. */
const AWS_TRACE_HEADER = 'AWSTraceHeader';

/**
 * SQS: message attributes with a string value; without a `traceparent`,
 * the `AWSTraceHeader` system attribute as a W3C `traceparent`.
 */
function sqsCarrier(attributes: unknown, system: unknown): Carrier | undefined {
  const a = (typeof attributes === 'object' && attributes !== null ? attributes : {}) as Record<
    string,
    { stringValue?: string } | undefined
  >;
  const xray = (system as Record<string, string> | undefined)?.[AWS_TRACE_HEADER];
  const fromXray = xray === undefined ? undefined : traceparentFromXray(xray);
  let any = fromXray !== undefined;
  for (const _ in a) {
    any = true;
    break;
  }
  if (!any) return undefined;
  return {
    keys: () => [...Object.keys(a), ...(fromXray === undefined ? [] : ['traceparent'])],
    get: (key) => a[key]?.stringValue ?? (key === 'traceparent' ? fromXray : undefined),
  };
}

/**
 * An X-Ray trace header (`Root=1-5759e988-bd862e3fe1be46a994272793;
 * Parent=53995c3f42cd8ad8;Sampled=1`) as a W3C `traceparent`, or undefined
 * when it has no valid root and parent.
 */
export function traceparentFromXray(header: string): string | undefined {
  let root: string | undefined;
  let parent: string | undefined;
  let sampled = '00';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'Root') root = value;
    else if (key === 'Parent') parent = value;
    else if (key === 'Sampled' && value === '1') sampled = '01';
  }
  const m = root === undefined ? null : /^1-([0-9a-f]{8})-([0-9a-f]{24})$/i.exec(root);
  if (m === null || parent === undefined || !/^[0-9a-f]{16}$/i.test(parent)) return undefined;
  return `00-${(m[1] as string) + (m[2] as string)}-${parent}-${sampled}`.toLowerCase();
}
