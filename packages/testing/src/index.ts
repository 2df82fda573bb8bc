/**
 * @sluice/testing: test a Sluice pipeline through its real stages.
 *
 * - `testProducer()`: a producer that emits nothing, for pipelines under test;
 * - `testMessage`, `testBatch`: push data, await the acks;
 * - `pushMessages`: push ready-made messages;
 * - `handlerSpy`: await any message by id or predicate, whatever the producer.
 *
 * Broker fixtures (queues, topics, availability checks) live with the producers:
 * `@sluice/producers/sqs/testing`, `/kafka/testing`, `/rabbitmq/testing`,
 * `@sluice/producers/testing` and `@sluice/producers/testing/vitest`.
 */
export { testProducer } from './test-producer.ts';
export {
  testBatch,
  testMessage,
  pushMessages,
  type AckResult,
  type TestBatchOptions,
  type TestMessageOptions,
} from './test-messages.ts';
export { handlerSpy, type HandlerSpy, type SpiedMessage } from './handler-spy.ts';
