import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KafkaGroupProtocol } from '../../src/kafka/membership.ts';
import { forEachKafkaClient, waitFor } from './helpers.ts';

const script = fileURLToPath(new URL('./fixtures/group-member.js', import.meta.url));

interface Member {
  readonly child: ChildProcess;
  readonly handled: string[];
  ready: boolean;
  stopped: boolean;
}

function spawnMember(
  topic: string,
  groupId: string,
  delayMs: number,
  client: string,
  protocol: KafkaGroupProtocol,
): Member {
  const child = spawn(
    process.execPath,
    [script, topic, groupId, String(delayMs), client, protocol],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The producer has no broker default: the member reads KAFKA_BROKERS.
      env: { ...process.env, KAFKA_BROKERS: kafkaTestBrokers().join(',') },
    },
  );
  const member: Member = { child, handled: [], ready: false, stopped: false };
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('h ')) member.handled.push(line.slice(2));
      else if (line === 'ready') member.ready = true;
      else if (line === 'stopped') member.stopped = true;
    }
  });
  return member;
}

// Each handler waits this long, so the first process cannot finish the topic before the
// second joins: under KIP-848 its partitions keep flowing while the second is assigned
// (classic stopped the whole group, which used to leave work over by itself).
const HANDLER_DELAY_MS = 3;

// On @platformatic/kafka both protocols: 'auto' is KIP-848 on the Kafka 4.x brokers the
// suite runs on (a member joining a busy group once got no partitions under it), and
// 'classic'. kafkajs speaks only classic, which 'auto' means there.
const PROTOCOLS: Record<string, readonly KafkaGroupProtocol[]> = {
  platformatic: ['auto', 'classic'],
  kafkajs: ['auto'],
};

forEachKafkaClient((client) =>
  describeWithBroker(
    'kafka',
    `kafka producer: several Sluice processes in one consumer group [${client}]`,
    () => {
      let topic: KafkaTestTopic;
      const members: Member[] = [];
      beforeEach(async () => {
        topic = await createTestTopic({ partitions: 6 });
      });
      afterEach(async () => {
        for (const m of members.splice(0)) if (m.child.exitCode === null) m.child.kill('SIGKILL');
        await topic.delete();
      });

      it.each<KafkaGroupProtocol>(PROTOCOLS[client] ?? ['auto'])(
        'shares the partitions with a second process, survives SIGKILL of the first, and handles every message at least once (groupProtocol %s)',
        async (protocol) => {
          const count = 12_000;
          await topic.publish(count, { key: (i) => `key-${i % 500}` });
          const records = await topic.read();
          // A message's id is topic/partition/offset.
          const ids = records.map((r) => `${topic.name}/${r.partition}/${r.offset}`);
          const groupId = `${topic.name}-group`;
          const first = spawnMember(topic.name, groupId, HANDLER_DELAY_MS, client, protocol);
          members.push(first);
          await waitFor(() => first.handled.length >= 2000, 'the first process to get going');
          const second = spawnMember(topic.name, groupId, HANDLER_DELAY_MS, client, protocol);
          members.push(second);
          // The rebalance gives the second process some partitions.
          await waitFor(
            () => second.handled.length >= 500,
            () =>
              `the second process to get partitions (first handled ${first.handled.length}, ` +
              `second ${second.handled.length}, of ${count})`,
          );
          first.child.kill('SIGKILL');
          const distinct = () => new Set([...first.handled, ...second.handled]).size;
          const missing = () => {
            const seen = new Set([...first.handled, ...second.handled]);
            return ids.filter((id) => !seen.has(id));
          };
          await waitFor(
            () => distinct() === count,
            () =>
              `every message handled: ${distinct()} of ${count} (first ${first.handled.length}, ` +
              `second ${second.handled.length}, second exit code ${second.child.exitCode}; ` +
              `missing ${missing().slice(0, 5).join(', ')})`,
            40_000,
          );
          second.child.kill('SIGTERM');
          await waitFor(() => second.stopped, 'the second process to drain');

          const all = [...first.handled, ...second.handled];
          const duplicates = all.length - distinct();
          expect(distinct()).toBe(count);
          // Duplicates come only from what was fetched but not committed when a
          // partition moved: bounded by the buffers (6 partitions × a few hundred), far below the total.
          expect(duplicates).toBeLessThan(6 * 1000);
          console.info(
            `[kafka group test, ${client} ${protocol}] ${count} messages, ${duplicates} duplicates`,
          );
          const end = (p: number) => String(records.filter((r) => r.partition === p).length);
          expect(await topic.committedOffsets(groupId)).toEqual(
            [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, offset: end(partition) })),
          );
        },
        60_000,
      );
    },
  ),
);
