/**
 * Choosing the group protocol against a real broker (Kafka 4.x, KIP-848 on):
 * asked while the group already has a KIP-848 member, as every member after
 * the first asks. The library's own reader of the broker's description of
 * such a group fails, which once made every later member fail to start and so
 * get no partitions under `'auto'` (platformatic-protocol.test.ts covers the
 * other answers with a fake library).
 */
import type { Consumer } from '@platformatic/kafka';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { chooseProtocol } from '../../src/kafka/platformatic-membership.ts';
import { loadPlatformatic } from '../../src/kafka/platformatic-support.ts';
import { waitFor } from './helpers.ts';

describeWithBroker('kafka', 'groupProtocol on @platformatic/kafka against the broker', () => {
  const lib = loadPlatformatic();
  const base = { clientId: 'sluice-protocol-test', bootstrapBrokers: kafkaTestBrokers() };
  let topic: KafkaTestTopic;
  let member: Consumer | undefined;
  beforeEach(async () => {
    topic = await createTestTopic({ partitions: 3 });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) =>
      member ? member.close(true, () => resolve()) : resolve(),
    );
    member = undefined;
    await topic.delete();
  });

  it("picks 'consumer' for 'auto' and keeps an explicit 'consumer' when the group already has a KIP-848 member", async () => {
    const groupId = `${topic.name}-g`;
    expect(await chooseProtocol(lib, base, groupId, 'auto')).toBe('consumer');
    // A member of the group under KIP-848, holding all 3 partitions.
    const first = (member = new lib.Consumer({ ...base, groupId, groupProtocol: 'consumer' }));
    const stream = await first.consume({ topics: [topic.name], autocommit: false });
    stream.resume();
    await waitFor(
      () => (first.assignments ?? []).some((a) => a.partitions.length === 3),
      'the first member to hold the partitions',
    );
    expect(await chooseProtocol(lib, base, groupId, 'auto')).toBe('consumer');
    expect(await chooseProtocol(lib, base, groupId, 'consumer')).toBe('consumer');
  });
});
