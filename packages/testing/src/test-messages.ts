/**
 * testMessage / testBatch: push data through a real pipeline and wait for
 * the acks, like Broadway's test_message and test_batch.
 */
import { Message, type Acknowledger, type BatchMode, type Pipeline } from '@sluice/core';

/** What a test gets back once every message it pushed has been acked. */
export interface AckResult<D = unknown> {
  readonly successful: Message<D>[];
  readonly failed: Message<D>[];
}

/** Options of {@link testMessage} and {@link testBatch}. */
export interface TestMessageOptions {
  /** Merged into each message's metadata. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface TestBatchOptions extends TestMessageOptions {
  /**
   * `'bulk'` (default) respects `batchSize` and `batchTimeout`; `'flush'`
   * sends each batch as soon as the processor has handled the chunk.
   */
  readonly batchMode?: BatchMode;
}

let nextId = 0;

/** Collects acks for one test call and resolves once `expected` messages are in. */
class Collector<D> {
  readonly successful: Message<D>[] = [];
  readonly failed: Message<D>[] = [];
  readonly promise: Promise<AckResult<D>>;
  #resolve!: (result: AckResult<D>) => void;
  readonly #expected: number;

  constructor(expected: number) {
    this.#expected = expected;
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (expected === 0) this.#resolve({ successful: [], failed: [] });
  }

  add(successful: Message[], failed: Message[]): void {
    this.successful.push(...(successful as Message<D>[]));
    this.failed.push(...(failed as Message<D>[]));
    if (this.successful.length + this.failed.length >= this.#expected) {
      this.#resolve({ successful: this.successful, failed: this.failed });
    }
  }
}

/** Hands acks back to the test that pushed the messages (Broadway's CallerAcknowledger). */
const callerAcknowledger: Acknowledger = {
  ack(ref, successful, failed) {
    (ref as Collector<unknown>).add(successful, failed);
  },
  configure(_ref, ackData, options) {
    return { ...(ackData as object), ...options };
  },
};

function build<D>(
  data: D,
  collector: Collector<D>,
  options: TestMessageOptions,
  batchMode: BatchMode,
): Message<D> {
  const id = `test-${nextId++}`;
  return new Message<D>({
    data,
    id,
    acknowledger: callerAcknowledger,
    ackRef: collector,
    ackData: {},
    metadata: { ...options.metadata },
  }).putBatchMode(batchMode);
}

/**
 * Pushes `data` through the pipeline as one message in `flush` mode, and
 * resolves with the acks once it has been acked (successful or failed).
 * Once it resolves, everything the pipeline did for it has happened.
 *
 * @example
 * ```ts
 * const { successful, failed } = await testMessage(pipeline, { id: 1 });
 * expect(failed).toEqual([]);
 * ```
 */
export function testMessage<D>(
  pipeline: Pipeline,
  data: D,
  options: TestMessageOptions = {},
): Promise<AckResult<D>> {
  const collector = new Collector<D>(1);
  pipeline.pushMessages([build(data, collector, options, 'flush')]);
  return collector.promise;
}

/**
 * Pushes each item of `data` as a message and resolves once every one of
 * them has been acked, across however many batches and ack calls.
 */
export function testBatch<D>(
  pipeline: Pipeline,
  data: readonly D[],
  options: TestBatchOptions = {},
): Promise<AckResult<D>> {
  const collector = new Collector<D>(data.length);
  const batchMode = options.batchMode ?? 'bulk';
  pipeline.pushMessages(data.map((d) => build(d, collector, options, batchMode)));
  return collector.promise;
}

/** Pushes ready-made messages into the pipeline (they keep their own acknowledgers). */
export function pushMessages(pipeline: Pipeline, messages: readonly Message[]): void {
  pipeline.pushMessages(messages);
}
