/**
 * Trace context into what a sink publishes. Just before it publishes a
 * message, a sink asks the `sluice:producer:outgoing` channel (the one the
 * producers use for dead letters and retries) for headers: `@sluice/otel`
 * writes the `traceparent` of the message's own span into them, keyed by
 * the message's `ackData`. Nobody listening costs one `hasSubscribers`
 * read per batch.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Message } from '@sluice/core';

/** The channel's name, shared with `@sluice/producers` and `@sluice/otel`. */
export const OUTGOING_CHANNEL = 'sluice:producer:outgoing';

const channel = diagnostics.channel(OUTGOING_CHANNEL);

/** Whether anyone listens: when not, sinks skip the per-message lookups. */
export const tracing = (): boolean => channel.hasSubscribers;

/**
 * The headers subscribers want on what `message` becomes at `destination`
 * (`traceparent`, `tracestate`), or undefined when there are none.
 */
export function outgoingHeaders(
  system: string,
  destination: string,
  message: Message,
): Record<string, string> | undefined {
  if (!channel.hasSubscribers) return undefined;
  const headers: Record<string, string> = {};
  channel.publish({ system, destination, reason: 'output', source: message.ackData, headers });
  for (const _ in headers) return headers;
  return undefined;
}
