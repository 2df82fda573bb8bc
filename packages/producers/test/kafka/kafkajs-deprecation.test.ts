/**
 * `client: 'kafkajs'` still works but is deprecated: one DeprecationWarning
 * (code SLUICE_DEP_KAFKA_CLIENT_KAFKAJS) per process when such a producer is
 * made, and one warning in the pipeline's log when such a pipeline starts.
 * The default client and a client of one's own warn about nothing.
 */
import type { Logger, PrepareContext } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { kafkaProducer } from '../../src/kafka/producer.ts';

const CODE = 'SLUICE_DEP_KAFKA_CLIENT_KAFKAJS';
// A port nothing listens on: start fails fast after the log line.
const options = {
  brokers: ['127.0.0.1:1'],
  groupId: 'g',
  topics: ['t'],
  requestTimeout: 1_000,
} as const;

function logger() {
  const warn = vi.fn();
  const log: Logger = {
    error: () => undefined,
    warn,
    info: () => undefined,
    debug: () => undefined,
    child: () => log,
  };
  return { log, warn };
}

const context = (log: Logger) => ({ pipeline: 'p', concurrency: 1, logger: log }) as PrepareContext;

async function warningsOf(action: () => unknown): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (w: Error) => warnings.push(w);
  process.on('warning', listener);
  try {
    action();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return warnings.filter((w) => (w as Error & { code?: string }).code === CODE);
}

afterEach(() => vi.restoreAllMocks());

describe("client: 'kafkajs', deprecated", () => {
  it('warns about nothing with the default client or a client of your own', async () => {
    const client = { admin: () => Promise.reject(new Error('down')) } as unknown as KafkaClient;
    expect(await warningsOf(() => kafkaProducer(options))).toHaveLength(0);
    expect(await warningsOf(() => kafkaProducer({ ...options, client }))).toHaveLength(0);
    const { log, warn } = logger();
    await expect(
      kafkaProducer({ ...options, client }).prepareForStart?.(context(log)),
    ).rejects.toThrow();
    expect(warn).not.toHaveBeenCalled();
  });

  it('emits one DeprecationWarning with its code per process, naming the way out', async () => {
    const first = await warningsOf(() => kafkaProducer({ ...options, client: 'kafkajs' }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ name: 'DeprecationWarning', code: CODE });
    expect(first[0]?.message).toContain("use client: 'platformatic'");
    expect(await warningsOf(() => kafkaProducer({ ...options, client: 'kafkajs' }))).toHaveLength(
      0,
    );
  });

  it('logs one warning, with the code, when the first kafkajs pipeline starts', async () => {
    const a = logger();
    await expect(
      kafkaProducer({ ...options, client: 'kafkajs' }).prepareForStart?.(context(a.log)),
    ).rejects.toThrow();
    expect(a.warn).toHaveBeenCalledOnce();
    expect(a.warn).toHaveBeenCalledWith(
      { code: CODE },
      expect.stringContaining("client 'kafkajs' is deprecated"),
    );
    const b = logger();
    await expect(
      kafkaProducer({ ...options, client: 'kafkajs' }).prepareForStart?.(context(b.log)),
    ).rejects.toThrow();
    expect(b.warn).not.toHaveBeenCalled();
  });
});
