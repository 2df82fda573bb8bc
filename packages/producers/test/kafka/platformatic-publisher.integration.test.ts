/**
 * The @platformatic/kafka publisher against the real broker: concurrent
 * sends on one idempotent publisher all land (the library alone confirms
 * them all and writes only the first: see PlatformaticPublisher).
 */
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { PlatformaticClient } from '../../src/kafka/index.ts';

describeWithBroker('kafka', 'platformatic publisher', () => {
  let topic: KafkaTestTopic | undefined;
  afterEach(async () => {
    await topic?.delete();
    topic = undefined;
  });

  it('concurrent sends on one idempotent publisher all land, each once', async () => {
    topic = await createTestTopic({ partitions: 1 });
    const publisher = await new PlatformaticClient({ brokers: kafkaTestBrokers() }).publisher({
      idempotent: true,
    });
    const name = topic.name;
    try {
      await Promise.all(
        Array.from({ length: 5 }, (_, k) =>
          publisher.send(
            name,
            Array.from({ length: 3 }, (_, i) => ({ value: `${k}-${i}` })),
          ),
        ),
      );
    } finally {
      await publisher.close();
    }
    const values = (await topic.read()).map((r) => r.value);
    expect(values.toSorted()).toEqual(
      Array.from({ length: 15 }, (_, n) => `${Math.floor(n / 3)}-${n % 3}`).toSorted(),
    );
  });
});
