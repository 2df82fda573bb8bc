import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPipeline, type Pipeline } from '@sluice/core';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeStoppingBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isBrokerError } from '../../src/errors.ts';
import {
  kafkaChannels,
  kafkaProducer,
  type KafkaCommitEvent,
  type KafkaErrorEvent,
} from '../../src/kafka/index.ts';
import { forEachKafkaClient, quietLogger, waitFor } from './helpers.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const brokers = (action: 'up' | 'down') =>
  promisify(execFile)('bash', ['scripts/brokers.sh', action, 'kafka'], { cwd: root });

// These tests stop Kafka: only one started by this checkout's brokers.sh (skipped at once otherwise).
forEachKafkaClient((client, group) =>
  describeStoppingBroker(
    'kafka',
    `kafka producer: the broker stops and comes back [${client}]`,
    () => {
      let topic: KafkaTestTopic;
      let pipeline: Pipeline | undefined;
      const errors: unknown[] = [];
      const onError = (e: unknown) => errors.push(e);
      beforeEach(async () => {
        topic = await createTestTopic({ partitions: 3 });
        diagnostics.subscribe(kafkaChannels.error, onError);
        diagnostics.subscribe(kafkaChannels.commitError, onError);
      });
      const unsubscribe: (() => void)[] = [];
      afterEach(async () => {
        diagnostics.unsubscribe(kafkaChannels.error, onError);
        diagnostics.unsubscribe(kafkaChannels.commitError, onError);
        for (const u of unsubscribe.splice(0)) u();
        await pipeline?.stop();
        pipeline = undefined;
        await brokers('up'); // whatever happened, leave Kafka running
        await topic.delete();
      });

      function listen<T>(channel: string, into: { channel: string; event: T }[]) {
        const fn = (event: unknown) => into.push({ channel, event: event as T });
        diagnostics.subscribe(channel, fn);
        unsubscribe.push(() => diagnostics.unsubscribe(channel, fn));
      }

      it('reports an outage on sluice:kafka:error / commit:error and at warn, naming the unreachable broker, then reconnects and goes on', async () => {
        const before = 3000;
        const after = 600;
        const groupId = `${topic.name}-g`;
        await topic.publish(before, { partition: (i) => i % 3 });
        const reports: { channel: string; event: KafkaErrorEvent | KafkaCommitEvent }[] = [];
        listen(kafkaChannels.error, reports);
        listen(kafkaChannels.commitError, reports);
        const commits: { channel: string; event: KafkaCommitEvent }[] = [];
        listen(kafkaChannels.commit, commits);
        const logger = quietLogger();
        const handled = new Set<string>();
        // Handling stops at 300 messages until Kafka is down, so the outage is
        // mid-run whatever the machine's speed.
        let kafkaDown!: () => void;
        const gate = new Promise<void>((resolve) => (kafkaDown = resolve));
        pipeline = createPipeline({
          name: 'outage',
          logger,
          shutdownTimeout: 20_000,
          producer: {
            module: kafkaProducer({
              ...group,
              groupId,
              topics: [topic.name],
              fromBeginning: true,
              maxBufferedPerPartition: 50,
            }),
          },
          processors: { default: { concurrency: 3 } },
          async handleMessage(_p, m) {
            if (handled.size >= 300) await gate;
            await new Promise((r) => setTimeout(r, 2));
            handled.add(String(m.id));
            return m;
          },
        });
        await pipeline.start();
        await waitFor(() => handled.size >= 300, 'some messages before the outage');
        await brokers('down');
        kafkaDown();
        // Kafka stays down until the outage is reported as what it is: the
        // client reports kafkajs's first failed connection at once, while
        // kafkajs itself retries for about 10 s before it gives up.
        const namesTheCause = (r: (typeof reports)[number]) =>
          isBrokerError(r.event.error, 'ERR_BROKER_UNREACHABLE') &&
          r.event.error.message.includes(kafkaTestBrokers()[0] ?? '127.0.0.1:9092');
        await waitFor(
          () => reports.some(namesTheCause),
          () =>
            `a report that Kafka is unreachable; got ${reports.length} reports: ` +
            reports
              .slice(0, 5)
              .map((r) => `${r.channel}: ${String(r.event.error)}`)
              .join('; '),
          60_000,
        );
        const reportsDuringOutage = reports.length;
        const commitsBeforeRestart = commits.length;
        expect(pipeline.state).toBe('running');
        await brokers('up');

        // Messages that only exist after the outage: the member reconnected,
        // fetches, and commits again.
        await topic.publish(after, { partition: (i) => i % 3, value: (i) => `after-${i}` });
        await waitFor(
          () => handled.size === before + after,
          () => `every message after the restart: ${handled.size} of ${before + after}`,
          60_000,
        );
        await waitFor(
          () => commits.length > commitsBeforeRestart,
          'a successful commit after the restart',
        );
        expect(pipeline.state).toBe('running');
        const report = await pipeline.stop();
        pipeline = undefined;
        expect(report.unacked).toBe(0);

        // Each report is a BrokerError, on the documented channels with the
        // documented payload, and was logged at warn with the same error.
        expect(reportsDuringOutage).toBeGreaterThan(0);
        const warned = new Set(
          logger.lines
            .filter((l) => l.level === 'warn')
            .map((l) => (l.obj as { err?: unknown } | undefined)?.err),
        );
        for (const { channel, event } of reports) {
          expect(event).toMatchObject({ pipeline: 'outage', groupId, index: 0 });
          expect(isBrokerError(event.error), `${channel}: ${String(event.error)}`).toBe(true);
          expect(event.error).toMatchObject({ broker: 'kafka' });
          if (channel === kafkaChannels.commitError) {
            const e = event as KafkaCommitEvent;
            expect(e.offsets.length).toBeGreaterThan(0);
            expect(['interval', 'rebalance', 'stop']).toContain(e.reason);
            expect(typeof e.durationMs).toBe('number');
          }
          expect(warned.has(event.error), `${channel} report logged at warn`).toBe(true);
        }
        const cause = reports.find(namesTheCause)?.event.error as Error;
        expect(cause.message).toMatch(/^cannot reach Kafka at \S+ \(\w+\)/);
        expect(cause.message).toContain(kafkaTestBrokers()[0] ?? '127.0.0.1:9092');
        console.info(
          `[kafka outage test] ${reportsDuringOutage} reports during the outage ` +
            `(${reports.filter((r) => r.channel === kafkaChannels.error).length} on kafka:error in all), ` +
            `first naming the cause: ${cause.message}`,
        );

        const records = await topic.read();
        const end = (p: number) => String(records.filter((r) => r.partition === p).length);
        expect(await topic.committedOffsets(groupId)).toEqual(
          [0, 1, 2].map((partition) => ({ partition, offset: end(partition) })),
        );
      }, 150_000);

      it('rides out a broker restart mid-run and loses nothing', async () => {
        const count = 3000;
        await topic.publish(count);
        const handled = new Set<string>();
        // Handling stops at 300 messages until Kafka is down (as above): a broker that
        // takes its time to shut down (Kafka 4.x does) must not let the run finish first.
        let kafkaDown!: () => void;
        const gate = new Promise<void>((resolve) => (kafkaDown = resolve));
        pipeline = createPipeline({
          name: 'restart',
          logger: quietLogger(),
          shutdownTimeout: 20_000,
          producer: {
            module: kafkaProducer({
              ...group,
              groupId: `${topic.name}-g`,
              topics: [topic.name],
              fromBeginning: true,
              maxBufferedPerPartition: 50,
            }),
          },
          processors: { default: { concurrency: 3 } },
          async handleMessage(_p, m) {
            if (handled.size >= 300) await gate;
            await new Promise((r) => setTimeout(r, 2));
            handled.add(String(m.id));
            return m;
          },
        });
        await pipeline.start();
        await waitFor(() => handled.size >= 300, 'some messages before the outage');
        await brokers('down');
        kafkaDown();
        // kafkajs rides out a short outage with its own retries, but its first
        // failed connection is reported at once, naming the broker.
        const unreachable = (e: unknown) => {
          const error = (e as KafkaErrorEvent).error;
          return (
            isBrokerError(error, 'ERR_BROKER_UNREACHABLE') &&
            error.message.includes(kafkaTestBrokers()[0] ?? '127.0.0.1:9092')
          );
        };
        await waitFor(() => errors.some(unreachable), 'a report that Kafka is unreachable', 30_000);
        const duringOutage = handled.size;
        await brokers('up');
        // the outage really was mid-run: much was left to handle after it
        expect(duringOutage).toBeLessThan(count);
        await waitFor(() => handled.size === count, 'every message after the restart', 60_000);
        await pipeline.stop();
        pipeline = undefined;
        const records = await topic.read();
        const end = (p: number) => String(records.filter((r) => r.partition === p).length);
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual(
          [0, 1, 2].map((partition) => ({ partition, offset: end(partition) })),
        );
      }, 120_000);
    },
    { root },
  ),
);
