/**
 * The Kafka sink against the real broker (KAFKA_BROKERS, default
 * 127.0.0.1:9092), through a real pipeline, on both clients: every acked message is in the
 * topic exactly once, with its key and trace context; what failed is not.
 */
import type { Pipeline } from '@sluice/core';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { testBatch } from '@sluice/testing';
import { afterEach, expect, it } from 'vitest';
import type { Sink } from '../src/index.ts';
import { kafkaSink, type KafkaSinkOptions } from '../src/kafka/index.ts';
import { json, sinkPipeline, traceOutgoing, traceparentOf } from './broker-pipeline.ts';

for (const client of ['platformatic', 'kafkajs'] as const) {
  describeWithBroker('kafka', `kafka sink [${client}]`, () => {
    const open: { pipeline?: Pipeline; sink?: Sink; topic?: KafkaTestTopic; untrace?: () => void } =
      {};

    afterEach(async () => {
      open.untrace?.();
      await open.pipeline?.stop();
      await open.sink?.close();
      await open.topic?.delete();
      for (const k of Object.keys(open)) delete open[k as keyof typeof open];
    });

    const start = async (
      batchSize: number,
      options: Partial<KafkaSinkOptions> = {},
      configEntries?: Record<string, string>,
    ) => {
      open.topic = await createTestTopic({
        partitions: 3,
        ...(configEntries && { configEntries }),
      });
      open.sink = kafkaSink({
        brokers: kafkaTestBrokers(),
        client,
        topic: open.topic.name,
        ...options,
      });
      open.pipeline = await sinkPipeline(open.sink, batchSize);
      return open.pipeline;
    };

    const order = (id: number, pad = 0) => ({ id, customer: `c${id % 7}`, note: 'x'.repeat(pad) });

    it('publishes every acked message exactly once, keyed by its path, with its traceparent', async () => {
      open.untrace = traceOutgoing();
      const pipeline = await start(50, { key: 'customer' });
      const data = Array.from({ length: 200 }, (_, i) => order(i));
      const { successful, failed } = await testBatch(pipeline, data);
      expect(failed).toEqual([]);
      expect(successful).toHaveLength(200);
      const records = await open.topic!.read();
      expect(records).toHaveLength(200);
      const byId = new Map(records.map((r) => [json(r.value!).id, r]));
      expect([...byId.keys()].sort((a, b) => a - b)).toEqual(data.map((d) => d.id));
      for (const d of data) {
        const r = byId.get(d.id)!;
        expect(json(r.value!)).toEqual(d);
        expect(r.key).toBe(d.customer);
        expect(r.headers['traceparent']).toBe(traceparentOf(d.id));
      }
      // One key, one partition: the key's records keep their order.
      const partitionsOf = new Map<string, Set<number>>();
      for (const r of records) {
        const set = partitionsOf.get(r.key!) ?? new Set();
        set.add(r.partition);
        partitionsOf.set(r.key!, set);
      }
      for (const set of partitionsOf.values()) expect(set.size).toBe(1);
    });

    it('a send the broker refuses mid-batch fails it and what follows; what was sent before lands once', async () => {
      // The topic takes record batches of at most 4000 bytes; sends carry at
      // most 1000 bytes of values, so a 6000-byte record fails its send alone.
      const pipeline = await start(12, { maxSendBytes: 1000 }, { 'max.message.bytes': '4000' });
      const data = Array.from({ length: 12 }, (_, i) => order(i, i === 7 ? 6000 : 250));
      const { successful, failed } = await testBatch(pipeline, data);
      expect(successful.map((m) => m.data.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(failed.map((m) => m.data.id)).toEqual([7, 8, 9, 10, 11]);
      const reason = (failed[0]?.status as { reason: Error & { code: string } }).reason;
      expect(reason.code).toBe('ERR_SINK_REFUSED');
      expect(reason.message).toMatch(
        /^Kafka topic .*: the brokers refused the send \(.*larger than the max message size.*\)/,
      );
      const ids = (await open.topic!.read()).map((r) => json(r.value!).id);
      expect(ids.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });

    it('fails a message without the key its path names, alone, naming the path', async () => {
      const pipeline = await start(3, { key: 'customer' });
      const { successful, failed } = await testBatch(pipeline, [order(1), { id: 2 }, order(3)]);
      expect(successful.map((m) => m.data.id)).toEqual([1, 3]);
      const reason = (failed[0]?.status as { reason: Error & { code: string } }).reason;
      expect(reason.code).toBe('ERR_SINK_DATA');
      expect(reason.message).toMatch(/its data has no key at 'customer'/);
      expect((await open.topic!.read()).map((r) => json(r.value!).id)).toEqual(
        expect.arrayContaining([1, 3]),
      );
      expect(await open.topic!.read()).toHaveLength(2);
    });

    it('probe: says whether the topic exists, writing nothing', async () => {
      await start(1);
      await expect(open.sink!.probe!()).resolves.toBeUndefined();
      const missing = kafkaSink({
        brokers: kafkaTestBrokers(),
        client,
        topic: 'sluice-test-no-such-topic',
      });
      await expect(missing.probe!()).rejects.toThrow(
        /Kafka topic sluice-test-no-such-topic: the topic does not exist/,
      );
      await missing.close();
      expect(await open.topic!.read()).toEqual([]);
    });
  });
}

it('rejects bad kafka sink options naming the option and the value', () => {
  expect(() => kafkaSink({ topic: '', retries: 0 })).toThrow(/topic.*retries|retries.*topic/s);
});
