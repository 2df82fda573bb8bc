/**
 * The RabbitMQ sink's seam over amqplib, the only module of the sink that
 * touches it: one connection with one confirm channel, publishing with
 * `mandatory`. A publish resolves once the broker confirmed it, and
 * rejects when the broker nacked it, returned it as unroutable, or the
 * channel closed before confirming it.
 */
import type * as Amqplib from 'amqplib';
import { loadLibrary } from '../internal/load-library.ts';

/** Message properties the sink sets. */
export interface PublishProperties {
  readonly persistent: boolean;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A confirmed publisher: what the RabbitMQ sink needs, and nothing else. */
export interface ConfirmPublisher {
  /**
   * Publishes; the promise resolves once confirmed and rejects (nack,
   * returned, closed) saying why. When the socket's buffer is full,
   * {@link ConfirmPublisher.writable} turns false: wait for `drained()`.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: PublishProperties,
  ): Promise<void>;
  /** False while the write buffer is full. */
  readonly writable: boolean;
  /** Resolves once the write buffer drained (or the channel closed). */
  drained(): Promise<void>;
  /** Whether the publisher can still publish (its channel is open). */
  readonly open: boolean;
  /** Checks that an exchange (or, with `''`, the queue `routingKey`) exists. */
  check(exchange: string, routingKey: string): Promise<void>;
  close(): Promise<void>;
}

/** The header that pairs a returned message with its publish. */
const PUBLISH_ID = 'x-sluice-publish-id';

/** Connects to `url` and opens a confirm channel. */
export async function openConfirmPublisher(url: string): Promise<ConfirmPublisher> {
  const amqplib = loadLibrary<typeof Amqplib>('amqplib', '^2.3.1', 'RabbitMQ');
  const connection = await amqplib.connect(url, { noDelay: true });
  connection.on('error', () => {}); // reported through the publishes it fails
  let open = true;
  let channel: Amqplib.ConfirmChannel;
  try {
    channel = await connection.createConfirmChannel();
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  const returned = new Map<string, string>();
  let next = 0;
  let writable = true;
  const drains: (() => void)[] = [];
  channel.on('error', () => {});
  channel.on('close', () => {
    open = false;
    for (const d of drains.splice(0)) d();
  });
  connection.on('close', () => {
    open = false;
  });
  channel.on('drain', () => {
    writable = true;
    for (const d of drains.splice(0)) d();
  });
  channel.on('return', (message: Amqplib.Message) => {
    const id = (message.properties.headers ?? {})[PUBLISH_ID] as unknown;
    if (typeof id === 'string') {
      const { replyCode, replyText } = message.fields as unknown as {
        replyCode?: number;
        replyText?: string;
      };
      returned.set(id, `${replyCode ?? 312} ${replyText ?? 'NO_ROUTE'}`);
    }
  });

  return {
    get open() {
      return open;
    },
    get writable() {
      return writable;
    },
    drained: () => (writable || !open ? Promise.resolve() : new Promise((r) => drains.push(r))),
    publish(exchange, routingKey, content, properties) {
      if (!open) return Promise.reject(new Error('the channel is closed'));
      const id = String(next++);
      return new Promise<void>((resolve, reject) => {
        writable = channel.publish(
          exchange,
          routingKey,
          content,
          {
            mandatory: true,
            persistent: properties.persistent,
            ...(properties.contentType !== undefined && { contentType: properties.contentType }),
            headers: { ...properties.headers, [PUBLISH_ID]: id },
          },
          (error: unknown) => {
            const bounced = returned.get(id);
            returned.delete(id);
            if (error) {
              reject(new Error(`the broker did not confirm it (${(error as Error).message})`));
            } else if (bounced !== undefined) {
              reject(new Error(`the broker returned it as unroutable (${bounced})`));
            } else resolve();
          },
        );
      });
    },
    async check(exchange, routingKey) {
      const probe = await connection.createChannel();
      probe.on('error', () => {});
      try {
        if (exchange === '') await probe.checkQueue(routingKey);
        else await probe.checkExchange(exchange);
      } finally {
        await probe.close().catch(() => {});
      }
    },
    async close() {
      open = false;
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}
