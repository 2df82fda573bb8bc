/**
 * Adapter logic of the Kafka sink, with a scripted client (the real broker
 * cases are in kafka.test.ts and the fault suite): after a send that failed,
 * the next send goes through a fresh idempotent publisher, so its records
 * are not numbered as retries of the failed ones.
 */
import { Message, noopAcknowledger } from '@sluice/core';
import type { KafkaClient } from '@sluice/producers/kafka';
import { describe, expect, it } from 'vitest';
import { kafkaSink } from '../src/kafka/index.ts';

const messages = (ids: number[]): Message[] =>
  ids.map((id) => new Message({ data: { id }, acknowledger: noopAcknowledger }));

describe('kafka sink, publisher after a failed send', () => {
  it('drops the publisher whose send failed and sends the next batch through a new one', async () => {
    const made: { sent: number; closed: boolean }[] = [];
    let failNext = true;
    const client = {
      publisher: async () => {
        const p = { sent: 0, closed: false };
        made.push(p);
        return {
          send: async (_topic: string, records: readonly unknown[]) => {
            if (failNext) {
              failNext = false;
              throw new Error('request timed out');
            }
            p.sent += records.length;
            return [];
          },
          close: async () => {
            p.closed = true;
          },
        };
      },
    } as unknown as KafkaClient;
    const sink = kafkaSink({ brokers: ['127.0.0.1:1'], topic: 'orders' }, { client });

    const first = await sink.write(messages([1, 2]));
    expect(first.map((o) => o.ok)).toEqual([false, false]);
    expect(String((first[0] as { reason: Error }).reason.message)).toMatch(
      /Kafka topic orders: the brokers did not confirm the send \(request timed out\)/,
    );
    const second = await sink.write(messages([3, 4]));
    expect(second.map((o) => o.ok)).toEqual([true, true]);
    expect(made).toEqual([
      { sent: 0, closed: true },
      { sent: 2, closed: false },
    ]);
    await sink.write(messages([5]));
    expect(made).toHaveLength(2); // a publisher that works is kept
    await sink.close();
  });
});
