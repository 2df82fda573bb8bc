/**
 * `sluice dlq` filters, limits and purge, on SQS dead letters written as the
 * producer writes them (reason and attempts attributes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  countMessages,
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { sluice } from './cli.ts';

describeWithBroker('sqs', 'sluice dlq filters, SQS', () => {
  let queue: SqsTestQueue | undefined;
  let dlq: SqsTestQueue | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-filter-'));
  afterEach(async () => {
    await queue?.delete();
    await dlq?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'replays only what matches, at most --limit, and purges with --yes',
    { timeout: 120_000 },
    async () => {
      queue = await createTestQueue();
      dlq = await createTestQueue();
      const source = queue;
      const dead = dlq;
      const endpoint = sqsClientConfigFromEnv().endpoint as string;
      const env = {
        AWS_ENDPOINT_URL_SQS: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      };
      // Six dead letters: even ones timed out, odd ones had bad JSON.
      await dead.publish(6, {
        messageAttributes: (i) => ({
          'sluice-failure-reason': {
            dataType: 'String',
            stringValue:
              i % 2 === 0 ? 'TimeoutError: handler took too long' : 'SyntaxError: bad json',
          },
          'sluice-attempts': { dataType: 'Number', stringValue: String(i + 1) },
        }),
      });
      writeFileSync(
        join(dir, 'p.yaml'),
        `name: f\nproducer:\n  type: sqs\n  queueUrl: ${source.url}\n  onFailure: deadLetter\n  deadLetterQueueUrl: ${dead.url}\n`,
      );
      const dlqCli = (...args: string[]) => sluice(['dlq', ...args, 'p.yaml'], dir, { env });

      const list = await dlqCli('list');
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain(': 6 messages');
      expect(list.stdout).toMatch(/ 3 {2}TimeoutError: handler took too long/);
      expect(list.stdout).toMatch(/ 3 {2}SyntaxError: bad json/);

      const show = await dlqCli('show', '--filter', 'reason=bad json');
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout.match(/^id: /gm)).toHaveLength(3);
      expect(show.stdout).not.toContain('TimeoutError');
      expect(show.stdout).toMatch(
        /attempts: 2 .*\n {2}reason: SyntaxError: bad json\n {2}body: message-1/,
      );

      const replay = await dlqCli('replay', '--filter', 'reason=TimeoutError', '--limit', '2');
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toContain('2 replayed from');
      const back = await source.drain();
      expect(back).toHaveLength(2);
      for (const m of back) {
        expect(['message-0', 'message-2', 'message-4']).toContain(m.body);
        // What the dead-lettering added is gone; the message starts again clean.
        expect(m.messageAttributes['sluice-failure-reason']).toBeUndefined();
        expect(m.messageAttributes['sluice-attempts']).toBeUndefined();
      }
      // The four left behind were released by the replay before it exited, not left held.
      expect(await countMessages(dead.client, dead.url)).toMatchObject({ visible: 4, inFlight: 0 });

      const bad = await dlqCli('replay', '--filter', 'size=big');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        "--filter: expected reason=TEXT, key=KEY or id=ID, got 'size=big'",
      );
      const rate = await dlqCli('replay', '--rate', '0');
      expect(rate.code).toBe(2);
      expect(rate.stderr).toContain("--rate: expected a number above 0, got '0'");

      const purge = await dlqCli('purge', '--yes');
      expect(purge.code, purge.stderr).toBe(0);
      expect(purge.stdout).toContain('purged 4 messages');
      const c = await countMessages(dead.client, dead.url);
      expect(c.visible + c.inFlight).toBe(0);
    },
  );
});
