/**
 * Shared set-up of the ElasticMQ integration suites: one SQS client, test
 * queues deleted and the pipeline stopped after each test, and `run` to
 * build a pipeline over a queue with fast polling.
 */
import {
  createPipeline,
  type Message,
  type Pipeline,
  type PipelineDefinition,
  silentLogger,
} from '@sluice/core';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  AwsSqsClient,
  sqsProducer,
  type SqsMetadata,
  type SqsProducerOptions,
} from '../../src/sqs/index.ts';

const PREFIX = 'sluice-test-sqs-producer-';

export type SqsMessage = Message<string, SqsMetadata>;

/** Polls `condition` every 20 ms; rejects with `what` after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Call inside a `describe`: registers the hooks and returns the harness. */
export function elasticMq() {
  let client: AwsSqsClient | undefined;
  let pipeline: Pipeline | undefined;
  const queues: SqsTestQueue[] = [];

  beforeAll(() => {
    client = new AwsSqsClient(sqsClientConfigFromEnv());
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await Promise.all(queues.splice(0).map((q) => q.delete()));
  });
  afterAll(() => client?.close());
  const live = (): AwsSqsClient => {
    if (client === undefined) throw new Error('the SQS client exists only inside a test');
    return client;
  };

  return {
    get client(): AwsSqsClient {
      return live();
    },
    /** The pipeline the last `run` built, until the test ends. */
    get pipeline(): Pipeline | undefined {
      return pipeline;
    },
    create: async (options: Parameters<typeof createTestQueue>[0] = {}): Promise<SqsTestQueue> => {
      const queue = await createTestQueue({ client: live(), namePrefix: PREFIX, ...options });
      queues.push(queue);
      return queue;
    },
    run: (
      queue: SqsTestQueue,
      options: Partial<SqsProducerOptions>,
      definition: Partial<PipelineDefinition> & Pick<PipelineDefinition, 'handleMessage'>,
    ): Pipeline => {
      pipeline = createPipeline({
        name: 'sqs-it',
        logger: silentLogger,
        producer: {
          module: sqsProducer({
            queueUrl: queue.url,
            client: live(),
            waitTimeSeconds: 1,
            receiveInterval: 0,
            ...options,
          }),
        },
        processors: { default: { concurrency: 10 } },
        ...definition,
      });
      return pipeline;
    },
  };
}
