/**
 * Fixtures for tests against a real Redis: a uniquely named stream and
 * group, entries added in bulk, and what is left pending or dead-lettered.
 * The server is `REDIS_URL`, or redis://127.0.0.1:6379.
 */
import { uniqueName } from '../testing/names.ts';
import { NodeRedisAdmin, type RedisAdmin } from './admin.ts';
import type { RedisEntry } from './client.ts';
import { DEFAULT_REDIS_URL, redisUrlFromEnv } from './env.ts';
import type { RedisProducerOptions } from './options.ts';

export { DEFAULT_REDIS_URL, redisUrlFromEnv };
export { NodeRedisAdmin, type RedisAdmin };

/** A stream made for one test, deleted (with its dead-letter stream) by {@link RedisTestStream.delete}. */
export interface RedisTestStream {
  readonly url: string;
  readonly stream: string;
  readonly group: string;
  readonly deadLetterStream: string;
  readonly admin: RedisAdmin;
  /** The producer options that read this stream (`url`, `stream`, `group`, `deadLetterStream`). */
  readonly options: RedisProducerOptions;
  /** Adds `count` entries `{ n: '0' }`, `{ n: '1' }`…, or the entries given. */
  add(entries: number | readonly Readonly<Record<string, string>>[]): Promise<string[]>;
  /** The group's pending entries. */
  pending(): Promise<number>;
  /** What was dead-lettered. */
  deadLetters(): Promise<RedisEntry[]>;
  /** Deletes the stream and its dead-letter stream, and closes the admin connection. */
  delete(): Promise<void>;
}

/** Options of {@link createTestStream}. */
export interface CreateTestStreamOptions {
  /** @defaultValue `REDIS_URL`, or redis://127.0.0.1:6379 */
  readonly url?: string;
  /** @defaultValue `sluice-test-<random>` */
  readonly stream?: string;
}

/**
 * A new stream name and its group name for one test (nothing is created
 * until entries are added or a producer starts).
 *
 * @example
 * ```ts
 * const s = await createTestStream();
 * await s.add(100);
 * const pipeline = createPipeline({ producer: { module: redisProducer(s.options) }, … });
 * ```
 */
export async function createTestStream(
  options: CreateTestStreamOptions = {},
): Promise<RedisTestStream> {
  const url = options.url ?? redisUrlFromEnv();
  const stream = options.stream ?? uniqueName();
  const group = `${stream}-group`;
  const deadLetterStream = `${stream}:dead-letter`;
  const admin = new NodeRedisAdmin(url);
  return Promise.resolve({
    url,
    stream,
    group,
    deadLetterStream,
    admin,
    options: { url, stream, group, deadLetterStream },
    add: (entries) =>
      admin.add(
        stream,
        typeof entries === 'number'
          ? Array.from({ length: entries }, (_, n) => ({ n: String(n) }))
          : entries,
      ),
    pending: () => admin.pendingCount(stream, group),
    deadLetters: () => admin.range(deadLetterStream),
    delete: async () => {
      await admin.delete(stream, deadLetterStream);
      await admin.close();
    },
  });
}
