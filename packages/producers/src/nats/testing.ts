/**
 * NATS JetStream fixtures for integration tests: a uniquely named stream
 * (and durable consumer) deleted after the test, test messages, and reads
 * of what a consumer has left or a dead-letter subject holds. Everything
 * goes through {@link NatsAdmin}; by default a `NatsJsAdmin` on `NATS_URL`
 * (`nats://127.0.0.1:4222` on loopback).
 */
import { brokerEnv } from '../testing/env.ts';
import { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';
import {
  NatsJsAdmin,
  type NatsAdmin,
  type NatsConsumerCounts,
  type NatsStoredMessage,
} from './index.ts';

/** The NATS server the fixtures use: `NATS_URL`, else `nats://127.0.0.1:4222`. */
export function natsUrlFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return brokerEnv(env).natsUrl;
}

/** Options of {@link createTestStream}. */
export interface CreateNatsTestStreamOptions {
  /** @defaultValue a new `NatsJsAdmin` on {@link natsUrlFromEnv}, closed by `delete()` */
  readonly admin?: NatsAdmin;
  /** @defaultValue `'sluice-test-'` */
  readonly namePrefix?: string;
  /** Also create the durable consumer, with this ack wait (ms). @defaultValue 30000 */
  readonly ackWaitMs?: number;
  /** Create no consumer (the producer's `createConsumer` will). */
  readonly noConsumer?: boolean;
}

/** A stream made by {@link createTestStream}. */
export interface NatsTestStream {
  /** The stream's name (`SLUICE_TEST_…`). */
  readonly stream: string;
  /** Its durable consumer's name. */
  readonly consumer: string;
  /** The subjects are `<prefix>.>`: messages go to `<prefix>.<n>` or any below it. */
  readonly prefix: string;
  /** A subject of the stream that the consumer does not read: for dead letters. */
  readonly deadLetterSubject: string;
  readonly url: string;
  readonly admin: NatsAdmin;
  /** Publishes `count` messages, `message-<i>`, to `subject(i)` (default `<prefix>.data`). */
  publish(count: number, options?: PublishNatsTestMessagesOptions): Promise<void>;
  /** The consumer's pending and unacked counts. */
  counts(): Promise<NatsConsumerCounts>;
  /** Every message published to the dead-letter subject. */
  deadLetters(): Promise<NatsStoredMessage[]>;
  /** Deletes the stream (and its consumers). Safe to call more than once. */
  delete(): Promise<void>;
}

/** Options of {@link NatsTestStream.publish}. */
export interface PublishNatsTestMessagesOptions {
  /** The subject of message `i`. @defaultValue `<prefix>.data` */
  readonly subject?: (i: number) => string;
  /** The payload of message `i`. @defaultValue `` i => `message-${i}` `` */
  readonly body?: (i: number) => string;
  /** Messages published at once. @defaultValue 256 */
  readonly window?: number;
}

/**
 * Creates a stream on `<prefix>.>` and a durable consumer on `<prefix>.data.>`
 * and `<prefix>.data` (not on the dead-letter subject `<prefix>.dlq`).
 *
 * @example
 * ```ts
 * const s = await createTestStream({ ackWaitMs: 2000 });
 * afterEach(() => s.delete());
 * await s.publish(100);
 * natsProducer({ servers: s.url, stream: s.stream, consumer: s.consumer });
 * ```
 */
export async function createTestStream(
  options: CreateNatsTestStreamOptions = {},
): Promise<NatsTestStream> {
  const url = natsUrlFromEnv();
  const own = options.admin === undefined ? await NatsJsAdmin.connect([url]) : undefined;
  const admin: NatsAdmin = options.admin ?? (own as NatsJsAdmin);
  const base = uniqueName(options.namePrefix ?? DEFAULT_NAME_PREFIX).replace(
    /[^A-Za-z0-9_-]/g,
    '_',
  );
  const stream = base.toUpperCase();
  const prefix = base;
  const consumer = 'sluice';
  const deadLetterSubject = `${prefix}.dlq`;
  let deleted: Promise<void> | undefined;
  const remove = async () => {
    await admin.deleteStream(stream).catch(() => undefined);
    await own?.close();
  };
  try {
    await admin.createStream(stream, [`${prefix}.>`]);
    if (options.noConsumer !== true) {
      await admin.createConsumer(stream, consumer, {
        ackWaitMs: options.ackWaitMs ?? 30_000,
        filterSubject: `${prefix}.data.>`,
      });
    }
  } catch (error) {
    await remove();
    throw error;
  }
  const encoder = new TextEncoder();
  return {
    stream,
    consumer,
    prefix,
    deadLetterSubject,
    url,
    admin,
    async publish(count, o = {}) {
      const subject = o.subject ?? (() => `${prefix}.data.x`);
      const body = o.body ?? ((i: number) => `message-${i}`);
      const window = o.window ?? 256;
      for (let start = 0; start < count; start += window) {
        const end = Math.min(count, start + window);
        const sends: Promise<void>[] = [];
        for (let i = start; i < end; i++) {
          sends.push(admin.publish(subject(i), encoder.encode(body(i))));
        }
        await Promise.all(sends);
      }
    },
    counts: () => admin.consumerCounts(stream, consumer),
    deadLetters: () => admin.readStream(stream, deadLetterSubject),
    delete: () => (deleted ??= remove()),
  };
}

export { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';
