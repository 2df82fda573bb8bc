/**
 * `groupProtocol` against a broker that lists KIP-848's ConsumerGroupHeartbeat
 * but refuses it: a Kafka 4.x whose cluster runs `group.version` 0 (as one
 * formatted by 3.9 and not upgraded does). The suite's own broker, with the
 * feature downgraded. `'auto'` falls back to classic and consumes;
 * an explicit `'consumer'` fails start-up naming the refusal instead of
 * retrying the join for ever. (@platformatic/kafka only: kafkajs speaks
 * only classic, and its options refuse `'consumer'`.)
 */
import { createPipeline, InvalidOptionsError, silentLogger, type Pipeline } from '@sluice/core';
import { KafkaJsClient, PlatformaticClient, kafkaProducer } from '@sluice/producers/kafka';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeFaults, requireBrokers, waitFor } from './ledger.ts';
import {
  privateBrokerUnavailable,
  startPrivateKafka,
  type PrivateBroker,
} from './private-brokers.ts';

const unavailable = privateBrokerUnavailable();
// Its own ports (and 39093 for the controller): the other Kafka fault tests use 19092.
const PORT = 39092;

describeFaults('Kafka group protocols on a broker with group.version 0', unavailable, () => {
  let broker: PrivateBroker;
  let topic: KafkaTestTopic;
  let pipeline: Pipeline | undefined;

  beforeAll(() => {
    requireBrokers(unavailable);
    broker = startPrivateKafka(PORT);
    const server = ['--bootstrap-server', broker.address];
    broker.kafkaCli(
      'org.apache.kafka.tools.FeatureCommand',
      ...server,
      'downgrade',
      '--feature',
      'group.version=0',
    );
    const features = broker.kafkaCli(
      'org.apache.kafka.tools.FeatureCommand',
      ...server,
      'describe',
    );
    expect(features).toMatch(/group\.version\s.*FinalizedVersionLevel: 0/);
  }, 180_000);
  afterAll(() => broker?.stop(), 60_000);
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await topic?.delete();
  });

  const member = (groupProtocol: 'auto' | 'consumer', handled: string[]) =>
    createPipeline({
      name: `group-version-0-${groupProtocol}`,
      logger: silentLogger,
      producer: {
        module: kafkaProducer({
          client: new PlatformaticClient({ brokers: [broker.address] }),
          groupId: `${topic.name}-${groupProtocol}`,
          topics: [topic.name],
          fromBeginning: true,
          groupProtocol,
          sessionTimeout: 6000,
          heartbeatInterval: 500,
        }),
      },
      processors: { default: { concurrency: 4 } },
      handleMessage: (_p, m) => {
        handled.push(String(m.id));
        return m;
      },
    });

  it("'auto' falls back to the classic protocol and handles every message", async () => {
    topic = await createTestTopic({
      client: new KafkaJsClient({ brokers: [broker.address] }),
      partitions: 2,
    });
    await topic.publish(200);
    const handled: string[] = [];
    pipeline = member('auto', handled);
    await pipeline.start();
    await waitFor(
      'every message handled',
      () => new Set(handled).size === 200,
      30_000,
      () => `${new Set(handled).size} of 200`,
    );
  }, 60_000);

  it("an explicit 'consumer' fails start-up with ERR_INVALID_OPTIONS naming groupProtocol and the refusal", async () => {
    topic = await createTestTopic({
      client: new KafkaJsClient({ brokers: [broker.address] }),
      partitions: 2,
    });
    await topic.publish(10);
    const handled: string[] = [];
    const p = member('consumer', handled);
    const error = await p.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('ERR_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(
      /^invalid kafka producer options: groupProtocol: .*UNSUPPORTED_VERSION.*group\.version 0.*got 'consumer'$/,
    );
    expect(handled).toEqual([]);
  }, 60_000);
});
