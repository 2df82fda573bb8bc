/**
 * The dead-letter publisher's adapter logic, with a scripted client (the
 * real-broker case is dlq-restart.integration.test.ts): one idempotent
 * publisher per client, shared by the producer's members; replaced after a
 * send it does not know the fate of; closed by the last member.
 */
import { silentLogger } from '@sluice/core';
import { describe, expect, it, vi } from 'vitest';
import type { KafkaClient, KafkaPublisherOptions } from '../../src/kafka/client.ts';
import { Failures } from '../../src/kafka/failures.ts';
import { resolveKafkaOptions } from '../../src/kafka/options.ts';
import { newPartitionState, type Entry } from '../../src/kafka/partition-state.ts';

function scripted(failures: number) {
  const made: { options: KafkaPublisherOptions | undefined; sent: number; closed: boolean }[] = [];
  let failing = failures;
  const client = {
    publisher: (options?: KafkaPublisherOptions) => {
      const p = { options, sent: 0, closed: false };
      made.push(p);
      return Promise.resolve({
        send: () => {
          if (failing-- > 0) return Promise.reject(new Error('connection lost'));
          p.sent++;
          return Promise.resolve([]);
        },
        close: () => {
          p.closed = true;
          return Promise.resolve();
        },
      });
    },
  } as unknown as KafkaClient;
  return { client, made };
}

function member(client: KafkaClient, completed: Entry[]) {
  const options = resolveKafkaOptions({
    brokers: ['127.0.0.1:1'],
    groupId: 'g',
    topics: ['in'],
    onFailure: 'dlq',
    dlq: { topic: 'dead' },
  });
  return new Failures({
    base: { pipeline: 'p', groupId: 'g', index: 0 },
    logger: silentLogger,
    options,
    client,
    consumer: { pause: () => undefined } as never,
    timed: (_operation, run) => run(),
    complete: (e) => completed.push(e),
    retry: () => undefined,
    afterAcks: () => undefined,
    draining: () => false,
  });
}

const entry = (offset: number): Entry => ({
  state: newPartitionState('in', 0, 1, Infinity),
  record: { offset: String(offset), value: Buffer.from('x'), timestamp: '0' },
  offset,
  unit: '',
  attempts: 0,
});

describe('dead-letter publisher', () => {
  it('one idempotent publisher per client, shared by members; closed by the last', async () => {
    const { client, made } = scripted(0);
    const completed: Entry[] = [];
    const a = member(client, completed);
    const b = member(client, completed);
    await Promise.all([a.fail(entry(0), 'bad'), b.fail(entry(1), 'bad'), a.fail(entry(2), 'bad')]);
    expect(completed).toHaveLength(3);
    expect(made).toEqual([{ options: { idempotent: true }, sent: 3, closed: false }]);
    await a.close();
    expect(made[0]?.closed).toBe(false);
    await b.close();
    expect(made[0]?.closed).toBe(true);
  });

  it('replaces a publisher whose send failed and tries again, backing off', async () => {
    vi.useFakeTimers();
    try {
      const { client, made } = scripted(1);
      const completed: Entry[] = [];
      const a = member(client, completed);
      const done = a.fail(entry(0), 'bad');
      await vi.runAllTimersAsync();
      await done;
      expect(completed).toHaveLength(1);
      expect(made.map((p) => [p.sent, p.closed])).toEqual([
        [0, true],
        [1, false],
      ]);
      await a.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
