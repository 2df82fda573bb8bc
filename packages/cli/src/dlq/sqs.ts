/**
 * SQS dead letters: the producer's `deadLetterQueueUrl`, or the queue its
 * redrive policy names. A replay sends each message to the source queue,
 * then deletes it from the dead-letter queue once the send succeeded.
 *
 * FIFO queues: a replay keeps each message's MessageGroupId and sends the
 * group's messages in their order. SQS hands out a group's later messages
 * only once the earlier ones have left the queue, and replaying a later
 * one first would break the group's order, so a group stops at the first
 * message the filter or the limit leaves; the result says so.
 */
import type { SqsMessage, SqsMessageAttribute } from '@sluice/producers/sqs';
import type { PipelineConfig } from '../config/schema.ts';
import {
  DlqConfigError,
  pacer,
  type DeadLetter,
  type DlqAdapter,
  type ReplayOptions,
} from './types.ts';

type SqsConfig = Extract<PipelineConfig['producer'], { type: 'sqs' }>;

/**
 * How long a look holds the messages it received before SQS would hand
 * them out again, in s (it releases them at once when done). A replay holds
 * a batch for as long as sending it takes at its rate, plus this.
 */
const HOLD_SECONDS = 10;

/** The URL of the queue an ARN names, on the same endpoint as `like`. */
function urlOfArn(arn: string, like: string): string {
  const [, , , , account, name] = arn.split(':');
  const u = new URL(like);
  return `${u.origin}/${account ?? ''}/${name ?? ''}`;
}

/** The SQS adapter for a pipeline's producer; `dlq` overrides where the dead letters are. */
export async function sqsDlq(producer: SqsConfig, dlq: string | undefined): Promise<DlqAdapter> {
  // Loaded here, not at the top: the CLI loads a wire library only for its broker's pipelines.
  const { ATTEMPTS_ATTRIBUTE, AwsSqsClient, FAILURE_REASON_ATTRIBUTE } =
    await import('@sluice/producers/sqs');
  /** The message's own attributes, without what the dead-lettering added. */
  const withoutFailure = (
    attributes: Readonly<Record<string, SqsMessageAttribute>>,
  ): Record<string, SqsMessageAttribute> => {
    const out = { ...attributes };
    delete out[FAILURE_REASON_ATTRIBUTE];
    delete out[ATTEMPTS_ATTRIBUTE];
    return out;
  };
  // In a file, `client` can only be the SDK's config (endpoint, region…).
  const client = new AwsSqsClient(producer.client ?? {});
  const source = producer.queueUrl;
  let url = dlq ?? producer.deadLetterQueueUrl;
  if (url === undefined) {
    const { RedrivePolicy: policy } = await client.getQueueAttributes(source, ['RedrivePolicy']);
    const arn =
      policy === undefined
        ? undefined
        : (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    if (arn === undefined) {
      client.close();
      throw new DlqConfigError(
        `SQS queue ${source} has no deadLetterQueueUrl in the file and no redrive policy: pass --dlq URL`,
      );
    }
    url = urlOfArn(arn, source);
  }
  const dlqUrl = url;
  const fifo = source.endsWith('.fifo');

  const letter = (m: SqsMessage): DeadLetter => {
    const attempts = m.messageAttributes[ATTEMPTS_ATTRIBUTE]?.stringValue;
    return {
      id: m.messageId,
      key: m.attributes['MessageGroupId'],
      reason: m.messageAttributes[FAILURE_REASON_ATTRIBUTE]?.stringValue ?? 'unknown',
      attempts: attempts === undefined ? undefined : Number(attempts),
      body: m.body,
      source,
    };
  };
  const receive = (batch = 10, holdSeconds = HOLD_SECONDS): Promise<SqsMessage[]> =>
    client.receiveMessages(dlqUrl, {
      maxNumberOfMessages: batch,
      waitTimeSeconds: 1,
      visibilityTimeout: holdSeconds,
      attributeNames: ['All'],
      messageAttributeNames: ['All'],
    });
  /** Makes held messages visible again at once. */
  const release = async (held: readonly SqsMessage[]): Promise<void> => {
    for (let i = 0; i < held.length; i += 10) {
      await client.changeMessageVisibilityBatch(
        dlqUrl,
        held.slice(i, i + 10).map((m, j) => ({
          id: String(j),
          receiptHandle: m.receiptHandle,
          visibilityTimeout: 0,
        })),
      );
    }
  };

  const count = async (): Promise<number> => {
    const a = await client.getQueueAttributes(dlqUrl, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
    ]);
    return (
      Number(a['ApproximateNumberOfMessages'] ?? 0) +
      Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0)
    );
  };

  return {
    description: `SQS queue ${dlqUrl}`,
    count,
    async peek(limit) {
      const held: SqsMessage[] = [];
      try {
        while (held.length < limit) {
          const got = await receive();
          if (got.length === 0) break;
          held.push(...got);
        }
        return held.slice(0, limit).map(letter);
      } finally {
        await release(held);
      }
    },
    async replay(o: ReplayOptions) {
      const pace = pacer(o.rate);
      // About a second's worth at the rate: a killed replay leaves few messages held, briefly.
      const batch = o.rate === undefined ? 10 : Math.min(10, Math.ceil(o.rate));
      const hold = HOLD_SECONDS + (o.rate === undefined ? 0 : Math.ceil(batch / o.rate));
      const held: SqsMessage[] = [];
      const seen = new Set<string>();
      /** FIFO message groups a message was left in: nothing after it is replayed. */
      const stopped = new Set<string>();
      let replayed = 0;
      try {
        // Ends when the queue has nothing visible, or only what this replay left there.
        for (let onlySeen = 0; onlySeen < 3;) {
          const received = await receive(batch, hold);
          if (received.length === 0) break;
          const got = received.filter((m) => !seen.has(m.messageId));
          // Seen again: left by this replay and visible again; released at the end.
          held.push(...received.filter((m) => seen.has(m.messageId)));
          onlySeen = got.length === 0 ? onlySeen + 1 : 0;
          const chosen: SqsMessage[] = [];
          for (const m of got) {
            seen.add(m.messageId);
            const group = fifo ? m.attributes['MessageGroupId'] : undefined;
            const behind = group !== undefined && stopped.has(group);
            if (!behind && replayed + chosen.length < o.limit && o.match(letter(m))) {
              chosen.push(m);
            } else {
              held.push(m);
              // FIFO: the group's later messages stay behind this one, in order.
              if (group !== undefined) stopped.add(group);
            }
          }
          for (let i = 0; i < chosen.length; i++) await pace();
          if (chosen.length === 0) continue;
          const sent = await client.sendMessageBatch(
            source,
            chosen.map((m, i) => ({
              id: String(i),
              body: m.body,
              messageAttributes: withoutFailure(m.messageAttributes),
              ...(fifo && {
                messageGroupId: m.attributes['MessageGroupId'] ?? 'sluice-replay',
                messageDeduplicationId: `${m.messageId}-${m.attributes['ApproximateReceiveCount'] ?? '1'}`,
              }),
            })),
          );
          const ok = sent.successful.map((e) => chosen[Number(e.id)] as SqsMessage);
          // Sent and confirmed: only now out of the dead-letter queue.
          const deleted = await client.deleteMessageBatch(
            dlqUrl,
            ok.map((m, i) => ({ id: String(i), receiptHandle: m.receiptHandle })),
          );
          for (const { id } of deleted.successful) {
            replayed++;
            o.onReplayed?.(letter(ok[Number(id)] as SqsMessage));
          }
          held.push(...chosen.filter((m) => !ok.includes(m)));
          if (sent.failed.length > 0) {
            throw new Error(
              `SQS refused ${sent.failed.length} sends to ${source} (${sent.failed.map((f) => f.code).join(', ')}); they stay in the dead-letter queue`,
            );
          }
        }
        const note =
          stopped.size === 0
            ? undefined
            : `FIFO queue: each message group is replayed in order, so it stops at its first message left in the dead letters (${stopped.size} groups stopped); SQS hands out a group's later messages only after the earlier ones leave the queue`;
        return { replayed, kept: held.length, note };
      } finally {
        await release(held).catch(() => undefined);
      }
    },
    async purge() {
      const n = await count();
      await client.purgeQueue(dlqUrl);
      return n;
    },
    close() {
      client.close();
      return Promise.resolve();
    },
  };
}
