/**
 * `onFailure: 'deadLetter'`: sends failed messages to a named queue, with
 * the failure reason as the `sluice-failure-reason` message attribute. The
 * caller deletes the ones that were sent; the others stay on the source
 * queue and are redelivered.
 */
import { inspect } from 'node:util';
import { redactUrl, type Logger } from '@sluice/core';
import { callBatch, type FailedEntry, type RetryPolicy } from './batch-call.ts';
import type { SqsClient, SqsMessage, SqsMessageAttribute } from './client.ts';
import { chunk } from '../internal/coalescer.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { channels } from './telemetry.ts';

/** The message attribute that carries why a message was dead-lettered. */
export const FAILURE_REASON_ATTRIBUTE = 'sluice-failure-reason';

/**
 * The message attribute that carries how many times the message was
 * received before it was dead-lettered (SQS's `ApproximateReceiveCount`).
 */
export const ATTEMPTS_ATTRIBUTE = 'sluice-attempts';

/** SQS allows at most this many message attributes. */
const MAX_ATTRIBUTES = 10;
const MAX_REASON_LENGTH = 1024;

/** A failed message to dead-letter, and why it failed. */
export interface DeadLetter {
  readonly message: SqsMessage;
  readonly reason: unknown;
  /** The pipeline message's `ackData`, for the outgoing-headers hook. */
  readonly source?: unknown;
}

export interface DeadLetterOptions {
  readonly client: SqsClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

/** Sends `letters` to the dead-letter queue; resolves with those sent and those refused. */
export async function sendToDeadLetterQueue(
  letters: readonly DeadLetter[],
  o: DeadLetterOptions,
): Promise<{ sent: DeadLetter[]; failed: FailedEntry<DeadLetter>[] }> {
  const fifo = o.deadLetterQueueUrl.endsWith('.fifo');
  const outcomes = await Promise.all(
    chunk(letters, 10).map((c) =>
      callBatch(
        c,
        (entries) =>
          o.client.sendMessageBatch(
            o.deadLetterQueueUrl,
            entries.map(({ id, entry }) => ({
              id,
              body: entry.message.body,
              messageAttributes: withReason(
                entry.message.messageAttributes,
                entry.reason,
                outgoingHeaders('aws_sqs', o.deadLetterQueueUrl, 'dead-letter', entry.source),
                entry.message.attributes['ApproximateReceiveCount'],
              ),
              ...(fifo && {
                messageGroupId: entry.message.attributes['MessageGroupId'] ?? 'sluice-dead-letter',
                messageDeduplicationId: entry.message.messageId,
              }),
            })),
          ),
        o.retry,
      ),
    ),
  );
  const sent = outcomes.flatMap((x) => x.ok);
  const failed = outcomes.flatMap((x) => x.failed);
  if (failed.length > 0) {
    o.logger.error(
      {
        queueUrl: redactUrl(o.queueUrl),
        deadLetterQueueUrl: redactUrl(o.deadLetterQueueUrl),
        messageIds: failed.map((f) => f.entry.message.messageId),
        codes: [...new Set(failed.map((f) => f.code))],
      },
      `could not send ${failed.length} failed messages to the dead-letter queue; they stay on the queue and will be redelivered`,
    );
  }
  if (channels.deadLetter.hasSubscribers) {
    channels.deadLetter.publish({
      queueUrl: o.queueUrl,
      deadLetterQueueUrl: o.deadLetterQueueUrl,
      count: sent.length,
      failed: failed.map((f) => ({
        messageId: f.entry.message.messageId,
        code: f.code,
        message: f.message,
      })),
    });
  }
  return { sent, failed };
}

function withReason(
  attributes: Readonly<Record<string, SqsMessageAttribute>>,
  reason: unknown,
  extra: Readonly<Record<string, string>> | undefined,
  attempts: string | undefined,
): Record<string, SqsMessageAttribute> {
  const out = { ...attributes };
  // The attempts before the outgoing headers, the reason always: what `sluice dlq` shows.
  if (
    attempts !== undefined &&
    (Object.keys(out).length < MAX_ATTRIBUTES - 1 || ATTEMPTS_ATTRIBUTE in out)
  ) {
    out[ATTEMPTS_ATTRIBUTE] = { dataType: 'Number', stringValue: attempts };
  }
  for (const name in extra) {
    if (Object.keys(out).length < MAX_ATTRIBUTES - 1 || name in out) {
      out[name] = { dataType: 'String', stringValue: extra[name] as string };
    }
  }
  if (Object.keys(out).length < MAX_ATTRIBUTES || FAILURE_REASON_ATTRIBUTE in out) {
    out[FAILURE_REASON_ATTRIBUTE] = { dataType: 'String', stringValue: describeReason(reason) };
  }
  return out;
}

/** A failure reason as one line of text: `Error: message` for errors. */
export function describeReason(reason: unknown): string {
  const text =
    reason instanceof Error
      ? `${reason.name}: ${reason.message}`
      : typeof reason === 'string'
        ? reason
        : inspect(reason, { depth: 2, breakLength: Infinity });
  const line = text === '' ? 'failed' : text;
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}
