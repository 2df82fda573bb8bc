/**
 * The RabbitMQ options schema: its defaults, the renamed options (the old
 * name still works, with a coded deprecation warning), the `AMQP_URL`
 * default, a description for every option, and a library that is missing.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  rabbitmqOptionsObject,
  rabbitmqOptionsSchema,
  resolveOptions,
} from '../../src/rabbitmq/options.ts';
import { FAKE_URL } from './support.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** The codes of the deprecation warnings emitted while `run` runs. */
function deprecations(run: () => void): string[] {
  const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    run();
    return emit.mock.calls.map((call) => (call[1] as { code: string }).code);
  } finally {
    emit.mockRestore();
  }
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('rabbitmq options', () => {
  it('fills in every default from the schema', () => {
    const o = resolveOptions({ url: FAKE_URL, queue: 'orders', retry: {} });
    expect(o).toMatchObject({
      connection: { timeout: 10_000 },
      bindings: [],
      consumeOptions: { exclusive: false, noAck: false },
      metadata: [],
      onSuccess: 'ack',
      onFailure: 'reject',
      retry: { maxAttempts: 3, delay: { initial: 1000, max: 60_000 }, queue: 'orders.retry' },
      backoff: { initial: 1000, max: 30_000 },
      consumerTimeout: 1_800_000,
      requestTimeout: 10_000,
    });
    expect(o.declare).toBeUndefined();
    expect(resolveOptions({ url: FAKE_URL, queue: 'q', declare: {} }).declare).toEqual({
      durable: true,
      exclusive: false,
      autoDelete: false,
    });
  });

  it('raises a default max to a larger initial', () => {
    expect(
      resolveOptions({ url: FAKE_URL, queue: 'q', backoff: { initial: 40_000 } }).backoff,
    ).toEqual({ initial: 40_000, max: 40_000 });
  });

  it.each([
    ['backoff', 'SLUICE_DEP_RABBITMQ_BACKOFF_MIN'],
    ['retry.delay', 'SLUICE_DEP_RABBITMQ_RETRY_DELAY_MIN'],
  ] as const)('still takes %s.min as initial, warning once with %s', (path, code) => {
    const given = { min: 250, max: 4000 };
    const options = {
      url: FAKE_URL,
      queue: 'q',
      ...(path === 'backoff' ? { backoff: given } : { retry: { delay: given } }),
    };
    let resolved: ReturnType<typeof resolveOptions> | undefined;
    expect(deprecations(() => (resolved = resolveOptions(options)))).toEqual([code]);
    const bounds = path === 'backoff' ? resolved?.backoff : resolved?.retry?.delay;
    expect(bounds).toEqual({ initial: 250, max: 4000 });
    expect(deprecations(() => resolveOptions(options))).toEqual([]); // once per process
  });

  it.each(['backoff', 'retry.delay'] as const)(
    'refuses %s.min and %s.initial together, naming both',
    (path) => {
      const given = { min: 250, initial: 500 };
      const message = refusal(() =>
        resolveOptions({
          url: FAKE_URL,
          queue: 'q',
          ...(path === 'backoff' ? { backoff: given } : { retry: { delay: given } }),
        }),
      );
      expect(message).toContain(
        `${path}.min: expected ${path}.initial or ${path}.min (deprecated), not both, got 250`,
      );
    },
  );

  it('gives the same options when the output of the plain object is parsed again (the CLI path)', () => {
    const input = {
      url: FAKE_URL,
      queue: 'q',
      backoff: { min: 300 },
      retry: { delay: { min: 5 } },
    };
    const once = rabbitmqOptionsObject.parse(input);
    expect(rabbitmqOptionsSchema.parse(once)).toEqual(rabbitmqOptionsSchema.parse(input));
  });

  it('takes url from AMQP_URL, and refuses neither naming both', () => {
    vi.stubEnv('AMQP_URL', 'amqp://app:secret@rabbit.example:5672');
    expect(resolveOptions({ queue: 'q' }).url).toBe('amqp://app:secret@rabbit.example:5672');
    expect(resolveOptions({ queue: 'q', url: FAKE_URL }).url).toBe(FAKE_URL);
    vi.stubEnv('AMQP_URL', '');
    expect(refusal(() => resolveOptions({ queue: 'q' }))).toContain(
      'url: expected an amqp:// or amqps:// URL: give url, or set AMQP_URL, got undefined',
    );
    vi.stubEnv('AMQP_URL', 'http://app:secret@rabbit.example');
    const bad = refusal(() => resolveOptions({ queue: 'q' }));
    expect(bad).toContain('url: expected an amqp:// or amqps:// URL in AMQP_URL');
    expect(bad).not.toContain('secret');
  });

  it('describes every option in its JSON Schema', () => {
    const schema = z.toJSONSchema(rabbitmqOptionsObject, { io: 'input', unrepresentable: 'any' });
    const undescribed: string[] = [];
    const walk = (node: unknown, path: string): void => {
      const n = node as { properties?: Record<string, unknown>; items?: unknown };
      for (const [key, child] of Object.entries(n.properties ?? {})) {
        if (typeof (child as { description?: unknown }).description !== 'string') {
          undescribed.push(`${path}${key}`);
        }
        walk(child, `${path}${key}.`);
      }
      if (n.items !== undefined) walk(n.items, `${path}[].`);
    };
    walk(schema, '');
    expect(undescribed).toEqual([]);
    expect(Object.keys(schema.properties ?? {})).toHaveLength(17);
  });
});

describe('rabbitmq without amqplib installed', () => {
  const preload = fileURLToPath(new URL('./fixtures/without-amqplib.js', import.meta.url));
  // The child runs on the built packages (dist): CI builds before testing.
  it('imports, then refuses to make a client or a producer with ERR_MISSING_LIBRARY', async () => {
    const script = `
      const rabbitmq = await import('@sluice/producers/rabbitmq');
      const codes = [];
      for (const make of [
        () => new rabbitmq.AmqplibClient(),
        () => rabbitmq.rabbitmqProducer({ url: 'amqp://127.0.0.1', queue: 'q' }),
      ]) {
        try { make(); codes.push('made'); } catch (error) { codes.push(error.code + ': ' + error.message); }
      }
      // A client of one's own needs no amqplib.
      rabbitmq.rabbitmqProducer({ url: 'amqp://127.0.0.1', queue: 'q', client: { connect() {} } });
      console.log(JSON.stringify(codes));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', preload, '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('.', import.meta.url)) },
    );
    const message =
      'ERR_MISSING_LIBRARY: the RabbitMQ producer needs the amqplib package, which is not installed: run `npm install amqplib@^2.3.1`';
    expect(JSON.parse(stdout)).toEqual([message, message]);
  });
});
