/**
 * RabbitMQ dead letters: the queue the source queue dead-letters into (its
 * `x-dead-letter-routing-key` on the default exchange, or `--dlq`). A dead
 * letter the producer published itself says why in `sluice-failure-reason`,
 * with `sluice-attempts` and `sluice-source-queue`; one the broker
 * dead-lettered has only `x-death` (rejected, expired…, and how often), with
 * Sluice's retry count in `x-sluice-attempts`. A replay publishes each message
 * to the source queue on a confirm channel and acks it in the dead-letter
 * queue only once the broker confirmed the publish; what it leaves goes
 * back to the queue (nacked with requeue, or requeued by the broker if the
 * replay dies).
 */
import type { ConfirmChannel, GetMessage } from 'amqplib';
import type { PipelineConfig } from '../config/schema.ts';
import {
  DlqConfigError,
  pacer,
  type DeadLetter,
  type DlqAdapter,
  type ReplayOptions,
} from './types.ts';

type RabbitConfig = Extract<PipelineConfig['producer'], { type: 'rabbitmq' }>;

/** The properties a replayed message keeps; headers apart, without the dead-lettering's. */
const KEPT_PROPERTIES = [
  'messageId',
  'contentType',
  'contentEncoding',
  'correlationId',
  'type',
  'appId',
  'timestamp',
] as const;

/** One `x-death` entry, as the broker writes it. */
interface Death {
  readonly reason?: string;
  readonly queue?: string;
  readonly count?: number;
}

/** The dead-letter queue a source queue's arguments name, when they name it on the default exchange. */
function dlqOf(producer: RabbitConfig): string | undefined {
  const args: Record<string, unknown> = producer.declare?.arguments ?? {};
  const exchange = args['x-dead-letter-exchange'];
  const key = args['x-dead-letter-routing-key'];
  return exchange === '' && typeof key === 'string' ? key : undefined;
}

/** The RabbitMQ adapter; `dlq` names the dead-letter queue. */
export async function rabbitmqDlq(
  producer: RabbitConfig,
  dlq: string | undefined,
): Promise<DlqAdapter> {
  const queue = dlq ?? dlqOf(producer);
  if (queue === undefined) {
    throw new DlqConfigError(
      `RabbitMQ queue ${producer.queue}: the file does not name its dead-letter queue (declare.arguments with x-dead-letter-exchange '' and x-dead-letter-routing-key): pass --dlq QUEUE`,
    );
  }
  const url = producer.url ?? process.env['AMQP_URL'];
  if (url === undefined) {
    throw new DlqConfigError('no RabbitMQ URL: give producer.url or set AMQP_URL');
  }
  // Loaded here, not at the top: the CLI loads a wire library only for its broker's pipelines.
  const {
    ATTEMPTS_HEADER,
    DEAD_LETTER_ATTEMPTS_HEADER,
    FAILURE_REASON_HEADER,
    SOURCE_QUEUE_HEADER,
  } = await import('@sluice/producers/rabbitmq');
  /** Headers that describe the dead-lettering, not the message: a replay leaves them out. */
  const deathHeaders = new Set([
    ATTEMPTS_HEADER,
    DEAD_LETTER_ATTEMPTS_HEADER,
    FAILURE_REASON_HEADER,
    SOURCE_QUEUE_HEADER,
  ]);
  const amqplib = await import('amqplib');
  const connection = await amqplib.connect(url);
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  await channel.checkQueue(queue);
  let n = 0;
  const letter = (m: GetMessage): DeadLetter => {
    const headers = (m.properties.headers ?? {}) as Record<string, unknown>;
    const death = (headers['x-death'] as Death[] | undefined)?.[0];
    const recorded = Number(headers[DEAD_LETTER_ATTEMPTS_HEADER]);
    const failures = Number(headers[ATTEMPTS_HEADER]);
    const reason = headers[FAILURE_REASON_HEADER];
    const source = headers[SOURCE_QUEUE_HEADER];
    const id = m.properties.messageId as string | undefined;
    return {
      id: id ?? `#${++n}`,
      key: m.fields.routingKey,
      reason:
        typeof reason === 'string'
          ? reason
          : Buffer.isBuffer(reason)
            ? reason.toString('utf8')
            : death?.reason === undefined
              ? 'unknown'
              : `${death.reason} (x-death)`,
      attempts:
        Number.isInteger(recorded) && recorded > 0
          ? recorded
          : Number.isInteger(failures) && failures > 0
            ? failures + 1
            : death?.count,
      body: m.content.toString('utf8'),
      source: typeof source === 'string' ? source : (death?.queue ?? producer.queue),
    };
  };
  /** Every message of the queue, or `limit`, held un-acked on this channel. */
  const take = async (limit: number): Promise<GetMessage[]> => {
    const held: GetMessage[] = [];
    while (held.length < limit) {
      const m = await channel.get(queue, { noAck: false });
      if (m === false) break;
      held.push(m);
    }
    return held;
  };
  const giveBack = (held: readonly GetMessage[]): void => {
    for (const m of held) channel.nack(m, false, true);
  };

  return {
    description: `RabbitMQ queue ${queue}`,
    async count() {
      return (await channel.checkQueue(queue)).messageCount;
    },
    async peek(limit) {
      const held = await take(limit);
      giveBack(held);
      n = 0;
      return held.map(letter);
    },
    async replay(o: ReplayOptions) {
      const pace = pacer(o.rate);
      const sources = new Set<string>();
      const kept: GetMessage[] = [];
      let replayed = 0;
      try {
        for (;;) {
          const m = await channel.get(queue, { noAck: false });
          if (m === false) break;
          const d = letter(m);
          if (replayed >= o.limit || !o.match(d)) {
            kept.push(m);
            continue;
          }
          // The default exchange drops what no queue takes, confirmed all the same: check first.
          if (!sources.has(d.source)) {
            await channel.checkQueue(d.source);
            sources.add(d.source);
          }
          await pace();
          const properties = m.properties as unknown as Record<string, unknown>;
          const copied: Record<string, unknown> = {};
          for (const name of KEPT_PROPERTIES) {
            if (properties[name] !== undefined) copied[name] = properties[name];
          }
          const headers = { ...(properties['headers'] as Record<string, unknown> | undefined) };
          for (const h of Object.keys(headers)) {
            if (/^x-(death|first-death|last-death)/.test(h) || deathHeaders.has(h)) {
              delete headers[h];
            }
          }
          channel.publish('', d.source, m.content, { ...copied, persistent: true, headers });
          // The broker has it (publisher confirm): only now out of the dead-letter queue.
          await channel.waitForConfirms();
          channel.ack(m);
          replayed++;
          o.onReplayed?.(d);
        }
        return { replayed, kept: kept.length };
      } finally {
        giveBack(kept);
      }
    },
    async purge() {
      return (await channel.purgeQueue(queue)).messageCount;
    },
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
