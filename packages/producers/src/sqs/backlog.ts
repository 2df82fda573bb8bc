/**
 * The SQS queue's backlog: `ApproximateNumberOfMessages` (waiting) and
 * `ApproximateNumberOfMessagesNotVisible` (received, not yet deleted),
 * read with GetQueueAttributes while someone listens. SQS computes both
 * approximately and may lag by a minute; they count every consumer's
 * messages, not only this pipeline's.
 */
import type { PrepareContext } from '@sluice/core';
import { startBacklogPoller } from '../internal/backlog-poller.ts';
import type { SqsClient } from './client.ts';

const WAITING = 'ApproximateNumberOfMessages';
const NOT_VISIBLE = 'ApproximateNumberOfMessagesNotVisible';

/** The queue's name, the last segment of its URL. */
export function queueName(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').at(-1) ?? queueUrl;
}

/** Polls `queueUrl`'s backlog into `context.backlog`; returns the stop function. */
export function pollSqsBacklog(
  client: SqsClient,
  queueUrl: string,
  context: PrepareContext,
  intervalMs?: number,
): () => void {
  const reporter = context.backlog;
  if (reporter === undefined) return () => undefined;
  const destination = queueName(queueUrl);
  return startBacklogPoller({
    reporter,
    logger: context.logger,
    what: `SQS queue ${destination}`,
    ...(intervalMs !== undefined && { intervalMs }),
    async poll() {
      const a = await client.getQueueAttributes(queueUrl, [WAITING, NOT_VISIBLE]);
      return [
        {
          broker: 'sqs',
          destination,
          waiting: Number(a[WAITING] ?? 0),
          inFlight: Number(a[NOT_VISIBLE] ?? 0),
          at: Date.now(),
        },
      ];
    },
  });
}
