/**
 * `sluice dlq` on a FIFO queue pair in ElasticMQ: a pipeline dead-letters
 * messages of three message groups into a FIFO dead-letter queue; `list`
 * counts them and `replay` sends each back to the FIFO source queue once,
 * in its own message group and in group order, then empties the
 * dead-letter queue.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipeline } from '@sluice/core';
import { sqsProducer } from '@sluice/producers/sqs';
import {
  countMessages,
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { sluice } from './cli.ts';
import { until } from './dlq-scenario.ts';

const GROUPS = ['g0', 'g1', 'g2'];
const PER_GROUP = 12;

describeWithBroker('sqs', 'sluice dlq, SQS FIFO', () => {
  let queue: SqsTestQueue | undefined;
  let dlq: SqsTestQueue | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-sqs-fifo-'));
  afterEach(async () => {
    await queue?.delete();
    await dlq?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'replays FIFO dead letters to the source in their message groups, in order, once each',
    {
      timeout: 120_000,
    },
    async () => {
      queue = await createTestQueue({ fifo: true, namePrefix: 'ops-fifo' });
      dlq = await createTestQueue({ fifo: true, namePrefix: 'ops-fifo-dlq' });
      const [source, dead] = [queue, dlq];
      const config = sqsClientConfigFromEnv();
      const total = GROUPS.length * PER_GROUP;
      const pipeline = createPipeline({
        name: 'dlq-fifo',
        producer: {
          module: sqsProducer({
            queueUrl: source.url,
            client: config,
            onFailure: 'deadLetter',
            deadLetterQueueUrl: dead.url,
            waitTimeSeconds: 1,
          }),
        },
        processors: { default: { concurrency: 2 } },
        handleMessage: (_p, m) => m.fail(`bad order ${String(m.data)}`),
      });
      await pipeline.start();
      try {
        for (const g of GROUPS) {
          await source.publish(PER_GROUP, { messageGroupId: g, body: (i) => `${g}-${i}` });
        }
        await until(`${total} dead letters`, async () => {
          const c = await countMessages(dead.client, dead.url);
          return c.visible + c.inFlight === total;
        });
      } finally {
        await pipeline.stop();
      }
      // The source is empty: whatever is there after the replay came from it.
      expect(await source.drain()).toEqual([]);

      writeFileSync(
        join(dir, 'pipeline.yaml'),
        [
          'name: dlq-fifo',
          'producer:',
          '  type: sqs',
          `  queueUrl: ${source.url}`,
          '  onFailure: deadLetter',
          `  deadLetterQueueUrl: ${dead.url}`,
          '',
        ].join('\n'),
      );
      const env = {
        AWS_ENDPOINT_URL_SQS: config.endpoint as string,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      };
      const dlqCli = (...args: string[]) => sluice(['dlq', ...args, 'pipeline.yaml'], dir, { env });

      const list = await dlqCli('list');
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain(`: ${total} messages`);
      expect(list.stdout).toContain('bad order g0-0');

      // A filter that matches only the last message of group g1, behind 11
      // it leaves: replaying it first would break the group's order, so
      // nothing of g1 is replayed and the output says why.
      const last = `g1-${PER_GROUP - 1}`;
      const one = await dlqCli('replay', '--filter', `reason=${last}`);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toMatch(new RegExp(`0 replayed from .*; \\d+ left there`));
      expect(one.stdout).toContain('FIFO queue: each message group is replayed in order');
      // Within the first batch SQS hands out: g0-5 is received with g0-0..4,
      // and sending it alone would still put it ahead of them.
      const early = await dlqCli('replay', '--filter', 'reason=g0-5');
      expect(early.code, early.stderr).toBe(0);
      expect(early.stdout).toMatch(/^0 replayed from /m);
      expect(early.stdout).toContain('FIFO queue: each message group is replayed in order');
      expect(await source.drain()).toEqual([]);
      // Only the key filter's group, whole and in order.
      const g2 = await dlqCli('replay', '--filter', 'key=g2');
      expect(g2.code, g2.stderr).toBe(0);
      expect(g2.stdout).toMatch(new RegExp(`${PER_GROUP} replayed from `));
      const firstBack = await source.drain();
      expect(firstBack.map((m) => [m.attributes['MessageGroupId'], m.body])).toEqual(
        Array.from({ length: PER_GROUP }, (_, i) => ['g2', `g2-${i}`]),
      );

      const replay = await dlqCli('replay');
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toMatch(
        new RegExp(`${total - PER_GROUP} replayed from .*; 0 left there`),
      );
      expect(await countMessages(dead.client, dead.url)).toMatchObject({ visible: 0, inFlight: 0 });

      const back = [...firstBack, ...(await source.drain())];
      const byGroup = new Map<string, string[]>();
      for (const m of back) {
        const g = m.attributes['MessageGroupId'] ?? '(none)';
        byGroup.set(g, [...(byGroup.get(g) ?? []), m.body]);
        // The failure the pipeline recorded is not sent back to the source.
        expect(Object.keys(m.messageAttributes).filter((k) => /reason|attempts/i.test(k))).toEqual(
          [],
        );
      }
      expect(Object.fromEntries(byGroup)).toEqual(
        Object.fromEntries(
          GROUPS.map((g) => [g, Array.from({ length: PER_GROUP }, (_, i) => `${g}-${i}`)]),
        ),
      );
    },
  );
});
