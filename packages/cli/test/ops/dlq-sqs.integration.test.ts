/** `sluice dlq` against ElasticMQ: the producer's dead-letter queue. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqsProducer } from '@sluice/producers/sqs';
import {
  countMessages,
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, it } from 'vitest';
import { replayScenario, until } from './dlq-scenario.ts';

describeWithBroker('sqs', 'sluice dlq, SQS', () => {
  let queue: SqsTestQueue | undefined;
  let dlq: SqsTestQueue | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-sqs-'));
  afterEach(async () => {
    await queue?.delete();
    await dlq?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'lists, shows and replays dead letters; a killed replay loses none',
    { timeout: 180_000 },
    async () => {
      queue = await createTestQueue();
      dlq = await createTestQueue();
      const source = queue;
      const dead = dlq;
      const config = sqsClientConfigFromEnv();
      const env = {
        AWS_ENDPOINT_URL_SQS: config.endpoint as string,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      };
      const counts = () => countMessages(dead.client, dead.url);
      await replayScenario(
        {
          file: [
            'name: dlq-sqs',
            'producer:',
            '  type: sqs',
            `  queueUrl: ${source.url}`,
            '  onFailure: deadLetter',
            `  deadLetterQueueUrl: ${dead.url}`,
            '',
          ].join('\n'),
          env,
          args: [],
          producer: sqsProducer({
            queueUrl: source.url,
            client: config,
            onFailure: 'deadLetter',
            deadLetterQueueUrl: dead.url,
            waitTimeSeconds: 1,
          }),
          publish: async (n) => (await source.publish(n)).map((m) => m.body),
          dlqCount: async () => {
            const c = await counts();
            return c.visible + c.inFlight;
          },
          // A killed replay's received batch comes back after its visibility timeout.
          // Nothing in flight is not enough: a receive the killed process had sent can
          // reach the server after it died, and hold a batch after the check. So wait
          // until every message is either handled or visible in the dead letters.
          settled: (handled) =>
            until('held dead letters visible again', async () => {
              const c = await counts();
              return c.inFlight === 0 && c.visible + handled() >= 12;
            }),
          attempts: '1',
          reason: 'bad order message-',
        },
        dir,
        12,
      );
    },
  );
});
