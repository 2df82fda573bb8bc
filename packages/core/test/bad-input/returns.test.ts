/**
 * Issue 15's bad-input suite, what callbacks return: a handleMessage,
 * prepareMessages, handleBatch, partitionBy or batchSize.accumulate that
 * returns junk fails only the messages concerned with ERR_BAD_RETURN,
 * naming the callback, what it must return and what it returned; the
 * pipeline goes on and drains.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  Message,
  SluiceError,
  createPipeline,
  type Acknowledger,
  type Pipeline,
  type PipelineDefinition,
  type ProducerModule,
} from '../../src/index.ts';
import { memoryLogger, until } from '../helpers.ts';

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/** Emits two messages, data 1 and 2, once; records every failed one. */
function source() {
  const failed: Message[] = [];
  const acked: Message[] = [];
  const acknowledger: Acknowledger = {
    ack(_ref, s, f) {
      acked.push(...s, ...f);
      failed.push(...f);
    },
  };
  let sent = false;
  const module: ProducerModule = {
    init: () => ({
      handleDemand() {
        if (sent) return [];
        sent = true;
        return [1, 2].map((n) => new Message({ data: n, id: `m${n}`, acknowledger }));
      },
    }),
  };
  return { module, failed, acked };
}

interface Row {
  readonly name: string;
  readonly definition: Partial<PipelineDefinition>;
  /** The callback named in `message.status`. */
  readonly callback: string;
  /** Substrings of the error's message: the contract, and what was returned. */
  readonly says: readonly string[];
}

const one = (_p: string, m: Message) => m;
const other = new Message({ data: 'x', id: 'other', acknowledger: { ack: () => undefined } });
const batched = { batchers: { db: { batchSize: 2, batchTimeout: 10 } } };
const toDb = (_p: string, m: Message) => m.putBatcher('db');
const junkBatch = (value: unknown): Partial<PipelineDefinition> => ({
  ...batched,
  handleMessage: toDb,
  handleBatch: () => value as Message[],
});

const rows: Row[] = [
  ...(
    [
      ['undefined (forgot to return)', undefined, 'got undefined'],
      ['null', null, 'got null'],
      ['a number', 42, 'got 42'],
      ['a plain object', { data: 1 }, 'got { data: 1 }'],
      ['the data', 'payload', "got 'payload'"],
      ['an array of the message', 'ARRAY', 'got [ Message'],
      ['a promise of junk', Promise.resolve('ok'), "got 'ok'"],
      [
        'a thenable of undefined',
        { then: (r: (v: unknown) => void) => r(undefined) },
        'got undefined',
      ],
    ] as const
  ).map(([what, value, got]): Row => ({
    name: `handleMessage returning ${what}`,
    definition: {
      handleMessage: (_p, m) => (value === 'ARRAY' ? [m] : value) as unknown as Message,
    },
    callback: 'handleMessage',
    says: ['handleMessage must return a Message', got],
  })),
  {
    name: 'handleMessage returning another Message',
    definition: { handleMessage: () => other },
    callback: 'handleMessage',
    says: ['must return the Message it was given', "got another Message (id 'other')"],
  },
  {
    name: 'handleMessage returning a promise of another Message',
    definition: { handleMessage: () => Promise.resolve(other) },
    callback: 'handleMessage',
    says: ['must return the Message it was given', "(id 'other')"],
  },
  {
    name: 'handleMessage routing to an unknown batcher',
    definition: {
      ...batched,
      handleMessage: (_p, m) => m.putBatcher('s3'),
      handleBatch: (_b, ms) => ms,
    },
    callback: 'handleMessage',
    says: ["unknown batcher 's3'", "the known batchers are 'db'"],
  },
  {
    name: 'prepareMessages returning nothing',
    definition: { handleMessage: one, prepareMessages: () => undefined as unknown as Message[] },
    callback: 'prepareMessages',
    says: ['prepareMessages must return all 2 messages it received', 'got undefined'],
  },
  {
    name: 'prepareMessages returning one of two',
    definition: { handleMessage: one, prepareMessages: (ms) => ms.slice(1) },
    callback: 'prepareMessages',
    says: ['must return all 2 messages', 'got 1 messages'],
  },
  {
    name: 'prepareMessages returning other messages',
    definition: { handleMessage: one, prepareMessages: () => [other, other] },
    callback: 'prepareMessages',
    says: ['must return the 2 Messages it received', 'it returned others'],
  },
  {
    name: 'handleBatch returning undefined',
    definition: junkBatch(undefined),
    callback: 'handleBatch',
    says: ['handleBatch must return an array of messages', 'got undefined'],
  },
  {
    name: 'handleBatch returning a count',
    definition: junkBatch(2),
    callback: 'handleBatch',
    says: ['must return an array of messages', 'got 2'],
  },
  {
    name: 'handleBatch returning data',
    definition: junkBatch([1, 2]),
    callback: 'handleBatch',
    says: ['handleBatch must return Messages', 'got 1'],
  },
  {
    name: 'handleBatch returning a message of another batch',
    definition: junkBatch([other]),
    callback: 'handleBatch',
    says: ['Messages of its own batch', "(id 'other')"],
  },
  {
    name: 'handleBatch leaving messages out',
    definition: { ...junkBatch(undefined), handleBatch: () => [] },
    callback: 'handleBatch',
    says: ['handleBatch received 2 messages and returned 0'],
  },
  ...(
    [
      ['a fraction', 1.5, 'got 1.5'],
      ['undefined', undefined, 'got undefined'],
      ['null', null, 'got null'],
      ['NaN', NaN, 'got NaN'],
      ['an object', { key: 'k' }, "got { key: 'k' }"],
      ['a boolean', true, 'got true'],
    ] as const
  ).map(([what, value, got]): Row => ({
    name: `partitionBy returning ${what}`,
    definition: {
      handleMessage: one,
      processors: { default: { concurrency: 2, partitionBy: () => value as unknown as string } },
    },
    callback: 'partitionBy',
    says: ['partitionBy must return an integer or a string', got],
  })),
  ...(
    [
      ['undefined', undefined, 'got undefined'],
      ['a boolean', true, 'got true'],
      ['{ emit } without acc', { emit: 'yes' }, "got { emit: 'yes' }"],
    ] as const
  ).map(([what, value, got]): Row => ({
    name: `batchSize.accumulate returning ${what}`,
    definition: {
      handleMessage: toDb,
      handleBatch: (_b, ms) => ms,
      batchers: {
        db: { batchTimeout: 10, batchSize: { initial: 0, accumulate: () => value as never } },
      },
    },
    callback: 'batchSize',
    says: ['batchSize.accumulate must return { emit: boolean, acc }', got],
  })),
];

describe('a callback returning junk fails its messages, naming the callback and the value', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    const { module, failed, acked } = source();
    const pipeline = createPipeline({
      name: 'returns',
      logger: memoryLogger(),
      producer: { module },
      processors: { default: { concurrency: 1 } },
      handleMessage: one,
      ...r.definition,
    });
    running.push(pipeline);
    await pipeline.start();
    // Bounded in event-loop turns, not time: a hang fails here.
    await until(() => acked.length === 2, 100_000);
    expect(failed.length).toBeGreaterThan(0);
    const status = failed[0]?.status;
    expect(status).toMatchObject({ kind: 'error', callback: r.callback });
    const error = (status as { error: unknown }).error;
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('ERR_BAD_RETURN');
    for (const s of r.says) expect((error as Error).message).toContain(s);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
  });
});
