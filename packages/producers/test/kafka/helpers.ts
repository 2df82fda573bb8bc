import type { Logger } from '@sluice/core';
import type { KafkaClientLibrary } from '../../src/kafka/options.ts';
import { kafkaTestBrokers } from '../../src/kafka/testing.ts';

/** A logger that keeps what it is told, for assertions, and prints nothing. */
export interface QuietLogger extends Logger {
  readonly lines: { level: string; obj: unknown; msg: unknown }[];
}

export function quietLogger(): QuietLogger {
  const lines: { level: string; obj: unknown; msg: unknown }[] = [];
  const log =
    (level: string) =>
    (obj: unknown, msg?: unknown): void => {
      lines.push({ level, obj, msg });
    };
  const logger = {
    lines,
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    trace: log('trace'),
    fatal: log('fatal'),
    child: () => logger,
  };
  return logger;
}

/**
 * Resolves once `check()` is true; rejects after `timeoutMs` with `what`
 * (a function is called then, so the error can say how far it got).
 */
export async function waitFor(
  check: () => boolean,
  what: string | (() => string),
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      const detail = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${detail}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Fast group settings for tests (kafkajs's defaults make rebalances take
 * tens of seconds), with the test brokers: the producer has no default.
 */
export const fastGroup = {
  brokers: kafkaTestBrokers(),
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 6000,
  revokeTimeout: 1000,
  commitInterval: 200,
  fetch: { maxWaitTimeInMs: 100 },
} as const;

/** The client libraries the producer's contract runs on: every integration test runs on each. */
export const KAFKA_CLIENTS = [
  'kafkajs',
  'platformatic',
] as const satisfies readonly KafkaClientLibrary[];

/** {@link fastGroup} with the client library to test. */
export type TestGroup = typeof fastGroup & { readonly client: KafkaClientLibrary };

/**
 * Declares a suite once per client library (`describe` names end with
 * `[kafkajs]` or `[platformatic]`): the contract every adapter keeps.
 * `SLUICE_KAFKA_CLIENTS` (comma-separated) narrows the list, e.g. to run
 * one adapter's suite under another Node.
 */
export function forEachKafkaClient(suite: (client: KafkaClientLibrary, group: TestGroup) => void) {
  const only = process.env['SLUICE_KAFKA_CLIENTS']?.split(',').map((c) => c.trim());
  for (const client of KAFKA_CLIENTS) {
    if (only !== undefined && !only.includes(client)) continue;
    suite(client, { ...fastGroup, client });
  }
}
