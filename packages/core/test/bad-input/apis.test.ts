/**
 * Issue 15's bad-input suite, core's helpers around pipelines:
 * generatorProducer, taskConsumer, fromIterable, updateRateLimiting and
 * pushMessages. Each mistake throws at once, naming the option, what was
 * expected and the value given.
 */
import { describe, expect, it } from 'vitest';
import { SluiceError, createPipeline, generatorProducer } from '../../src/index.ts';
import { fromIterable, taskConsumer } from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import { expectInvalid, idle, pass, thrownBy, type OptionRow } from './support.ts';

const logger = memoryLogger();
type Row = OptionRow & { readonly name: string; readonly call: () => unknown };
const row = (
  name: string,
  call: () => unknown,
  path: string,
  got: string,
  expected: string,
): Row => ({ name, call, path, got, expected });
const opts = (o: object) => o as never;

const rows: Row[] = [
  // generator, task consumer, fromIterable
  row(
    'generatorProducer count -1',
    () => generatorProducer({ count: -1 }),
    'count',
    '-1',
    'expected a non-negative integer',
  ),
  row(
    "generatorProducer count '100'",
    () => generatorProducer(opts({ count: '100' })),
    'count',
    "'100'",
    'non-negative integer',
  ),
  row(
    'generatorProducer rate 0',
    () => generatorProducer({ rate: 0 }),
    'rate',
    '0',
    'expected a positive number',
  ),
  row(
    'generatorProducer rate Infinity',
    () => generatorProducer({ rate: Infinity }),
    'rate',
    'Infinity',
    'expected a positive number',
  ),
  row(
    "generatorProducer data 'n'",
    () => generatorProducer(opts({ data: 'n' })),
    'data',
    "'n'",
    'expected a function',
  ),
  row(
    'taskConsumer without task',
    () => taskConsumer(opts({})),
    'task',
    'undefined',
    'expected a function',
  ),
  row(
    'taskConsumer maxDemand 0',
    () => taskConsumer(opts({ task: pass, maxDemand: 0 })),
    'maxDemand',
    '0',
    'expected a positive integer',
  ),
  row(
    'taskConsumer minDemand above maxDemand',
    () => taskConsumer(opts({ task: pass, maxDemand: 5, minDemand: 6 })),
    'minDemand',
    '6',
    'expected at most maxDemand (5)',
  ),
  row(
    "taskConsumer restart 'permanent'",
    () => taskConsumer(opts({ task: pass, restart: 'permanent' })),
    'restart',
    "'permanent'",
    "'temporary', 'transient'",
  ),
  row(
    "fromIterable onCancel 'ignore'",
    () => fromIterable([1], opts({ onCancel: 'ignore' })),
    'onCancel',
    "'ignore'",
    "'continue', 'stop'",
  ),
];

describe('helpers refuse bad options at once, naming the option', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    expectInvalid(r.call, r);
  });
});

describe('updateRateLimiting', () => {
  const limited = () =>
    createPipeline({
      name: 'limited',
      logger,
      producer: { module: idle(), rateLimiting: { allowedMessages: 10, interval: 1000 } },
      processors: { default: {} },
      handleMessage: pass,
    });
  const updates: Row[] = [
    row(
      'allowedMessages 0',
      () => limited().updateRateLimiting({ allowedMessages: 0 }),
      'allowedMessages',
      '0',
      'expected a positive integer',
    ),
    row(
      'allowedMessages 0.5',
      () => limited().updateRateLimiting({ allowedMessages: 0.5 }),
      'allowedMessages',
      '0.5',
      'positive integer',
    ),
    row(
      'interval -1',
      () => limited().updateRateLimiting({ interval: -1 }),
      'interval',
      '-1',
      'expected a positive number of ms',
    ),
    row(
      'interval past the timer limit',
      () => limited().updateRateLimiting({ interval: 2 ** 31 }),
      'interval',
      '2147483648',
      'expected at most 2147483647 ms',
    ),
    row(
      "reset 'yes'",
      () => limited().updateRateLimiting(opts({ reset: 'yes' })),
      'reset',
      "'yes'",
      'expected true or false',
    ),
    row(
      'a typo: allowed',
      () => limited().updateRateLimiting(opts({ allowed: 5 })),
      'allowed',
      '5',
      'unknown option',
    ),
  ];
  it.each(updates.map((r) => [r.name, r] as const))('refuses %s', (_name, r) => {
    expectInvalid(r.call, r);
  });

  it('on a pipeline without rateLimiting is ERR_PIPELINE_STATE, naming the option', () => {
    const p = createPipeline({
      name: 'free',
      logger,
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: pass,
    });
    const error = thrownBy(() => p.updateRateLimiting({ allowedMessages: 5 }));
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ code: 'ERR_PIPELINE_STATE' });
    expect((error as Error).message).toContain('without producer.rateLimiting');
  });
});

describe('pushMessages', () => {
  it('before start is ERR_PIPELINE_STATE naming the state', () => {
    const p = createPipeline({
      name: 'idle',
      logger,
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: pass,
    });
    const error = thrownBy(() => p.pushMessages([]));
    expect(error).toMatchObject({ code: 'ERR_PIPELINE_STATE' });
    expect((error as Error).message).toContain('is created, not running');
  });

  it('of data instead of Messages is ERR_INVALID_OPTIONS', async () => {
    const p = createPipeline({
      name: 'push',
      logger,
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: pass,
    });
    await p.start();
    try {
      expectInvalid(() => p.pushMessages([{ data: 1 }] as never), {
        path: 'messages[0]',
        got: '{ data: 1 }',
        expected: 'expected a Message',
      });
    } finally {
      await p.stop();
    }
  });
});
