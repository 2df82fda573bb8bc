import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { KafkaJsClient } from '../../src/kafka/kafkajs-client.ts';
import {
  kafkaOptionsObject,
  kafkaOptionsRules,
  kafkaOptionsSchema,
  resolveKafkaOptions,
} from '../../src/kafka/options.ts';

const base = { brokers: ['kafka-1:9092'], groupId: 'billing', topics: ['orders'] };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('kafka producer options', () => {
  it('fills in every default from the schema', () => {
    expect(resolveKafkaOptions(base)).toEqual({
      ...base,
      clientId: 'sluice',
      fromBeginning: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      rebalanceTimeout: 60_000,
      fetch: {
        minBytes: 1,
        maxBytes: 10 * 1024 * 1024,
        maxBytesPerPartition: 1024 * 1024,
        maxWaitTimeInMs: 500,
      },
      ordering: 'partition',
      onFailure: 'skip',
      retry: { maxAttempts: 1, backoff: { initial: 100, max: 10_000 } },
      commitInterval: 1_000,
      revokeTimeout: 10_000,
      requestTimeout: 30_000,
      client: 'platformatic',
      groupProtocol: 'auto',
    });
  });

  it('defaults revokeTimeout to a third of rebalanceTimeout, at most 10000', () => {
    expect(resolveKafkaOptions({ ...base, rebalanceTimeout: 6000 }).revokeTimeout).toBe(2000);
    expect(resolveKafkaOptions({ ...base, revokeTimeout: 500 }).revokeTimeout).toBe(500);
  });

  it('takes brokers from KAFKA_BROKERS when the options have none', () => {
    vi.stubEnv('KAFKA_BROKERS', ' kafka-1:9092, kafka-2:9092 ,');
    const { brokers: _brokers, ...rest } = base;
    expect(resolveKafkaOptions(rest).brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(resolveKafkaOptions(base).brokers).toEqual(['kafka-1:9092']);
  });

  it('requires brokers, naming the option and KAFKA_BROKERS, unless a client is given', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    const { brokers: _brokers, ...rest } = base;
    expect(() => resolveKafkaOptions(rest)).toThrow(InvalidOptionsError);
    expect(() => resolveKafkaOptions(rest)).toThrow(
      'invalid kafka producer options: brokers: expected at least one broker, here or in KAFKA_BROKERS, got undefined',
    );
    const client = { admin: () => Promise.reject(new Error('unused')) } as never;
    expect(resolveKafkaOptions({ ...rest, client }).brokers).toBeUndefined();
  });

  it('has no loopback default: a KafkaJsClient without brokers or KAFKA_BROKERS is refused', () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    expect(() => new KafkaJsClient()).toThrow(
      'invalid KafkaJsClient config: brokers: expected at least one broker, here or in KAFKA_BROKERS, got undefined',
    );
  });

  it('describes every option in its JSON Schema', () => {
    const schema = z.toJSONSchema(kafkaOptionsSchema, { io: 'input', unrepresentable: 'any' });
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown>, path: string): void => {
      const properties = node['properties'] as Record<string, Record<string, unknown>> | undefined;
      for (const [key, child] of Object.entries(properties ?? {})) {
        if (typeof child['description'] !== 'string') undescribed.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
      for (const branch of (node['anyOf'] ?? []) as Record<string, unknown>[]) walk(branch, path);
    };
    walk(schema, '');
    expect(undescribed).toEqual([]);
    const retry = (schema.properties as Record<string, Record<string, unknown>>)['retry'];
    expect(retry).toMatchObject({
      properties: { attempts: { deprecated: true }, maxAttempts: { default: 1 } },
    });
  });
});

describe('retry.attempts (deprecated) becomes retry.maxAttempts', () => {
  it('still works, as maxAttempts = attempts + 1, with a deprecation warning that has a code', async () => {
    const warnings: Error[] = [];
    const listener = (w: Error) => warnings.push(w);
    process.on('warning', listener);
    try {
      const o = resolveKafkaOptions({ ...base, retry: { attempts: 2 } });
      expect(o.retry).toEqual({ maxAttempts: 3, backoff: { initial: 100, max: 10_000 } });
      expect(o.retry).not.toHaveProperty('attempts');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      name: 'DeprecationWarning',
      code: 'SLUICE_DEP_KAFKA_RETRY_ATTEMPTS',
    });
    expect(warnings[0]?.message).toContain('use retry.maxAttempts');
  });

  it('refuses both, naming both', () => {
    expect(() => resolveKafkaOptions({ ...base, retry: { attempts: 1, maxAttempts: 2 } })).toThrow(
      'invalid kafka producer options: retry.attempts: expected maxAttempts or attempts (deprecated), not both',
    );
  });

  it('moves the old key inside the object the CLI extends, so its output parses again', () => {
    const cli = kafkaOptionsObject
      .extend({ type: z.literal('kafka') })
      .superRefine(kafkaOptionsRules);
    const { type: _type, ...parsed } = cli.parse({
      type: 'kafka',
      ...base,
      retry: { attempts: 1 },
    });
    expect(parsed.retry).toEqual({ maxAttempts: 2, backoff: { initial: 100, max: 10_000 } });
    expect(resolveKafkaOptions(parsed).retry.maxAttempts).toBe(2);
  });
});
