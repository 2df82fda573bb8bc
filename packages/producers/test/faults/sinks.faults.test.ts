/**
 * Sink fault injection (`npm run test:faults`): a pipeline writes through
 * the Kafka sink, the SQS sink, then the RabbitMQ sink, to a broker of the suite's own that is
 * restarted mid-run (scripts/brokers.sh with its own state and ports, not
 * the shared brokers). What the pipeline fails is redelivered until it is
 * acked. Asserted: every message is in the topic or queue (nothing lost),
 * every message acked once, and a message written twice is one that failed
 * at least once (a write in flight when the broker went away, never
 * confirmed): duplicates only within what was in flight.
 */
import { AwsSqsClient } from '@sluice/producers/sqs';
import { KafkaJsClient } from '@sluice/producers/kafka';
import { AmqplibClient } from '@sluice/producers/rabbitmq';
import {
  createTestQueue as createRabbitMqQueue,
  readAll,
} from '@sluice/producers/rabbitmq/testing';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import type { Sink } from '@sluice/sinks';
import { kafkaSink } from '@sluice/sinks/kafka';
import { rabbitMqSink } from '@sluice/sinks/rabbitmq';
import { sqsSink } from '@sluice/sinks/sqs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeFaults, requireBrokers } from './ledger.ts';
import {
  privateBrokerUnavailable,
  startPrivateElasticMq,
  startPrivateKafka,
  type PrivateBroker,
} from './private-brokers.ts';
import {
  privateRabbitMqUnavailable,
  startPrivateRabbitMq,
  type PrivateRabbitMq,
} from './private-rabbitmq.ts';
import { audit, writeThroughRestart, type SinkRun } from './sink-scenario.ts';

const unavailable = privateBrokerUnavailable();
// Ports apart from the other fault suites' (19092, 19324), so no two runs share a broker.
const KAFKA_PORT = 19292;
const SQS_PORT = 19524;
const AMQP_PORT = 5689;
const only = process.env['SLUICE_KAFKA_CLIENTS']?.split(',').map((c) => c.trim());
const kafkaClients = (['kafkajs', 'platformatic'] as const).filter(
  (c) => only === undefined || only.includes(c),
);

const ids = (bodies: readonly (string | undefined)[]): number[] =>
  bodies.map((b) => (JSON.parse(b ?? 'null') as { id: number }).id);

/** Asserts the run against what the broker holds, and prints the numbers. */
function check(what: string, total: number, run: SinkRun, written: readonly number[]): void {
  const { lost, duplicates } = audit(total, written);
  console.info(
    `${what}: ${total} messages, restart took ${run.restartMs.toFixed(0)} ms, ${run.failed.size} failed at least once, ${run.rounds} delivery rounds, written ${written.length}, lost ${lost.length}, duplicates ${duplicates.length}`,
  );
  expect(lost).toEqual([]);
  expect(run.acked.toSorted((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  // A duplicate is a message whose write the sink could not confirm.
  for (const id of duplicates) expect(run.failed.has(id)).toBe(true);
}

describeFaults('sink faults', unavailable, () => {
  const open: { sink?: Sink; broker?: PrivateBroker } = {};
  afterEach(async () => {
    await open.sink?.close();
    open.broker?.stop();
    delete open.sink;
    delete open.broker;
  }, 60_000);
  afterAll(() => open.broker?.stop());

  describe('kafka sink', () => {
    let topic: KafkaTestTopic | undefined;
    afterEach(async () => {
      await topic?.delete().catch(() => undefined);
    });

    for (const client of kafkaClients) {
      it(`the broker restarts mid-run: nothing lost, duplicates only of unconfirmed writes [${client}]`, async () => {
        requireBrokers(unavailable);
        const broker = (open.broker = startPrivateKafka(KAFKA_PORT));
        topic = await createTestTopic({
          client: new KafkaJsClient({ brokers: [broker.address] }),
          partitions: 3,
        });
        open.sink = kafkaSink({ brokers: [broker.address], topic: topic.name, client, retries: 1 });
        const total = 2000;
        const run = await writeThroughRestart({
          sink: open.sink,
          broker,
          port: KAFKA_PORT,
          total,
          batchSize: 50,
          restartAtBatch: 10,
        });
        const records = await topic.read({ timeoutMs: 60_000 });
        check(
          `kafka sink [${client}], broker restarted`,
          total,
          run,
          ids(records.map((r) => r.value ?? undefined)),
        );
      }, 300_000);
    }
  });

  describe('kafka sink, frozen', () => {
    let topic: KafkaTestTopic | undefined;
    afterEach(async () => {
      await topic?.delete().catch(() => undefined);
    });

    for (const client of kafkaClients) {
      it(`the broker freezes during a write: that batch fails, is redelivered, and only it may be written twice [${client}]`, async () => {
        requireBrokers(unavailable);
        const broker = (open.broker = startPrivateKafka(KAFKA_PORT));
        topic = await createTestTopic({
          client: new KafkaJsClient({ brokers: [broker.address] }),
          partitions: 3,
        });
        open.sink = kafkaSink({ brokers: [broker.address], topic: topic.name, client, retries: 1 });
        const total = 1000;
        const run = await writeThroughRestart({
          sink: open.sink,
          broker,
          port: KAFKA_PORT,
          total,
          batchSize: 50,
          restartAtBatch: 5,
          outage: 'freeze',
        });
        const records = await topic.read({ timeoutMs: 60_000 });
        check(
          `kafka sink [${client}], broker frozen during a write`,
          total,
          run,
          ids(records.map((r) => r.value ?? undefined)),
        );
      }, 300_000);
    }
  });

  describe('sqs sink', () => {
    let queue: SqsTestQueue | undefined;
    afterEach(async () => {
      await queue?.delete().catch(() => undefined);
    });

    it('the endpoint restarts mid-run: nothing lost, duplicates only of unconfirmed writes', async () => {
      requireBrokers(unavailable);
      // Persistent, so the queue and what was written survive the restart, as on SQS.
      const broker = (open.broker = startPrivateElasticMq(SQS_PORT, true));
      const client = new AwsSqsClient(sqsClientConfigFromEnv({ SQS_ENDPOINT: broker.address }));
      queue = await createTestQueue({ client });
      open.sink = sqsSink(
        { queueUrl: queue.url, retries: 2, retryBackoff: { initial: 100, max: 500 } },
        { client },
      );
      const total = 1000;
      const run = await writeThroughRestart({
        sink: open.sink,
        broker,
        port: SQS_PORT,
        total,
        batchSize: 20,
        restartAtBatch: 10,
      });
      const received = await queue.drain({ timeoutMs: 60_000 });
      check('sqs sink, endpoint restarted', total, run, ids(received.map((m) => m.body)));
    }, 300_000);
  });
});

const rabbitMqUnavailable = privateRabbitMqUnavailable();

describeFaults('RabbitMQ sink faults', rabbitMqUnavailable, () => {
  const open: { sink?: Sink; node?: PrivateRabbitMq } = {};
  afterAll(async () => {
    await open.sink?.close();
    open.node?.stop();
  }, 60_000);

  it('the broker application restarts mid-run: nothing lost, duplicates only of unconfirmed writes', async () => {
    requireBrokers(rabbitMqUnavailable);
    const node = (open.node = await startPrivateRabbitMq(AMQP_PORT));
    const queue = await createRabbitMqQueue({ url: node.url });
    open.sink = rabbitMqSink({ url: node.url, routingKey: queue.name });
    const total = 1000;
    const run = await writeThroughRestart({
      sink: open.sink,
      broker: node,
      port: AMQP_PORT,
      total,
      batchSize: 20,
      restartAtBatch: 10,
    });
    // The queue's own connection died in the restart: read on a new one.
    const connection = await new AmqplibClient().connect(node.url, {
      connectionName: 'sluice-test-read',
    });
    try {
      const channel = await connection.createChannel({ confirm: false });
      const messages = await readAll(channel, queue.name);
      check(
        'rabbitmq sink, broker restarted',
        total,
        run,
        ids(messages.map((m) => m.content.toString())),
      );
    } finally {
      await connection.close();
    }
  }, 300_000);
});
