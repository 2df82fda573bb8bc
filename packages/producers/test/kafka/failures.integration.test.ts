import diagnostics from 'node:diagnostics_channel';
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  kafkaChannels,
  kafkaProducer,
  type KafkaHaltEvent,
  type KafkaMessageMetadata,
  type KafkaProducerOptions,
} from '../../src/kafka/index.ts';
import { forEachKafkaClient, quietLogger, waitFor } from './helpers.ts';

forEachKafkaClient((client, group) =>
  describeWithBroker(
    'kafka',
    `kafka producer: retry, dead-letter topic, halt, draining [${client}]`,
    () => {
      let topic: KafkaTestTopic;
      let dlq: KafkaTestTopic;
      let pipeline: Pipeline | undefined;
      const unsubscribe: (() => void)[] = [];
      beforeEach(async () => {
        topic = await createTestTopic({ partitions: 1 });
        dlq = await createTestTopic({ partitions: 1 });
      });
      afterEach(async () => {
        for (const u of unsubscribe.splice(0)) u();
        await pipeline?.stop();
        pipeline = undefined;
        await Promise.all([topic.delete(), dlq.delete()]);
      });

      function listen<T>(channel: string): T[] {
        const events: T[] = [];
        const fn = (e: unknown) => events.push(e as T);
        diagnostics.subscribe(channel, fn);
        unsubscribe.push(() => diagnostics.unsubscribe(channel, fn));
        return events;
      }

      async function start(
        options: Partial<KafkaProducerOptions>,
        handle: (value: string, message: Message) => Message | Promise<Message>,
      ) {
        const module = kafkaProducer({
          ...group,
          groupId: `${topic.name}-g`,
          topics: [topic.name],
          fromBeginning: true,
          ...options,
        });
        pipeline = createPipeline({
          name: 'failures',
          logger: quietLogger(),
          producer: { module },
          processors: { default: { concurrency: 4 } },
          handleMessage: (_p, m) => handle(String(m.data), m),
        });
        await pipeline.start();
        return module;
      }

      it('retries a failed message in order, with backoff, before anything after it', async () => {
        await topic.publish(5, { key: () => 'same' });
        const order: string[] = [];
        let failures = 0;
        await start({ retry: { maxAttempts: 3, backoff: { initial: 10 } } }, (value, m) => {
          order.push(value);
          if (value === 'message-1' && failures++ < 2) return m.fail('flaky');
          return m;
        });
        await waitFor(() => order.length >= 7, '7 attempts');
        await pipeline?.stop();
        pipeline = undefined;
        expect(order).toEqual([
          'message-0',
          'message-1',
          'message-1',
          'message-1',
          'message-2',
          'message-3',
          'message-4',
        ]);
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual([
          { partition: 0, offset: '5' },
        ]);
      });

      it('produces a message that failed every attempt to the dead-letter topic with its origin, then commits past it', async () => {
        const dlqEvents = listen(kafkaChannels.dlq);
        await topic.publish(3);
        const seen: string[] = [];
        await start(
          {
            onFailure: 'dlq',
            dlq: { topic: dlq.name },
            retry: { maxAttempts: 2, backoff: { initial: 5 } },
          },
          (value, m) => {
            seen.push(value);
            return value === 'message-1' ? m.fail(new Error('bad order')) : m;
          },
        );
        await waitFor(() => dlqEvents.length === 1 && seen.length >= 4, 'the dead-letter produce');
        await pipeline?.stop();
        pipeline = undefined;
        const dead = await dlq.read();
        expect(dead).toHaveLength(1);
        expect(dead[0]?.value).toBe('message-1');
        expect(dead[0]?.headers).toMatchObject({
          'sluice-failure-reason': 'Error: bad order',
          'sluice-attempts': '2',
          'sluice-topic': topic.name,
          'sluice-partition': '0',
          'sluice-offset': '1',
        });
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual([
          { partition: 0, offset: '3' },
        ]);
      });

      it('halts a partition on failure, commits nothing past it, and goes on in order after resume()', async () => {
        const halts = listen<KafkaHaltEvent>(kafkaChannels.halt);
        await topic.publish(4);
        const seen: string[] = [];
        let broken = true;
        const module = await start({ onFailure: 'halt' }, (value, m) => {
          seen.push(value);
          return value === 'message-1' && broken ? m.fail('downstream is down') : m;
        });
        await waitFor(() => halts.length === 1, 'the halt');
        // give it time to (wrongly) go on; nothing after the failure may run
        await new Promise((r) => setTimeout(r, 500));
        expect(seen).toEqual(['message-0', 'message-1']);
        expect(module.halted()).toEqual([
          { topic: topic.name, partition: 0, offset: '1', reason: 'downstream is down' },
        ]);
        await waitFor(() => true, '');
        await new Promise((r) => setTimeout(r, 300)); // one commit interval
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual([
          { partition: 0, offset: '1' },
        ]);
        broken = false;
        expect(module.resume()).toBe(1);
        await waitFor(() => seen.length === 5, 'the rest after resume');
        expect(seen).toEqual(['message-0', 'message-1', 'message-1', 'message-2', 'message-3']);
        await pipeline?.stop();
        pipeline = undefined;
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual([
          { partition: 0, offset: '4' },
        ]);
      });

      it('commits everything acked when it drains, and the next run starts right after it', async () => {
        await topic.publish(2000);
        let handled = 0;
        await start({}, async (_v, m) => {
          handled++;
          await new Promise((r) => setTimeout(r, 1));
          return m;
        });
        await waitFor(() => handled >= 50, 'some messages');
        const report = await pipeline?.stop();
        pipeline = undefined;
        expect(report?.unacked).toBe(0);
        const committed = await topic.committedOffsets(`${topic.name}-g`);
        expect(Number(committed[0]?.offset)).toBe(handled);
        // restart: duplicates only within what was in flight, i.e. none after a clean drain
        const again: number[] = [];
        await start({}, (_v, m) => {
          again.push(Number((m.metadata as unknown as KafkaMessageMetadata).offset));
          return m;
        });
        await waitFor(() => again.length >= 2000 - handled, 'the rest');
        expect(handled).toBeLessThan(2000);
        expect(again[0]).toBe(handled);
        expect(again).toHaveLength(2000 - handled);
      });
    },
  ),
);
