/**
 * The hook through which tracing follows a message into what a producer
 * publishes again (a dead letter, a retry). Just before it publishes, the
 * producer asks the `sluice:producer:outgoing` channel for headers: a
 * subscriber such as `@sluice/otel` writes a `traceparent` into the
 * event's `headers`, and the producer adds them to the copy. Nobody
 * listening costs one `hasSubscribers` read, on the failure path only.
 */
import diagnostics from 'node:diagnostics_channel';

/** The channel's name, for `diagnostics_channel.subscribe`. */
export const outgoingChannel = 'sluice:producer:outgoing';

/** What a subscriber of {@link outgoingChannel} receives. */
export interface OutgoingEvent {
  /** The broker, as OpenTelemetry's `messaging.system` names it: `kafka`, `rabbitmq`, `aws_sqs`. */
  readonly system: string;
  /** Where the copy goes: a topic, a queue (name or URL). */
  readonly destination: string;
  /** Why it is published: a dead letter, or a delayed retry. */
  readonly reason: 'dead-letter' | 'retry';
  /** The `ackData` of the pipeline message it is a copy of: the same object, to look it up by. */
  readonly source: unknown;
  /** Write the headers to add here; string values only. */
  readonly headers: Record<string, string>;
}

const channel = diagnostics.channel(outgoingChannel);

/** The headers subscribers want on a copy of `source` sent to `destination`, or undefined. */
export function outgoingHeaders(
  system: string,
  destination: string,
  reason: OutgoingEvent['reason'],
  source: unknown,
): Record<string, string> | undefined {
  if (!channel.hasSubscribers) return undefined;
  const headers: Record<string, string> = {};
  channel.publish({ system, destination, reason, source, headers } satisfies OutgoingEvent);
  for (const _ in headers) return headers;
  return undefined;
}
