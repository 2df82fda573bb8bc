/**
 * Issue 15's bad-input suite, the stage core: stage factories and their
 * callbacks, subscription options, manual asks and dispatchers. Each mistake throws at once, naming the option, what was
 * expected and the value given.
 */
import { afterEach, describe, it } from 'vitest';
import {
  DemandDispatcher,
  PartitionDispatcher,
  consumer,
  producer,
  type Stage,
} from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import { expectInvalid, pass, type OptionRow } from './support.ts';

const stages: Stage<never, unknown>[] = [];
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.kill('test-end')));
});
const logger = memoryLogger();
const track = <S>(s: S): S => {
  stages.push(s as Stage<never, unknown>);
  return s;
};
const source = () => track(producer<number>({ handleDemand: () => [] }, { logger }));
const sink = () => track(consumer<number>({ handleEvents: () => undefined }, { logger }));
const handleDemand = () => [];

type Row = OptionRow & { readonly name: string; readonly call: () => unknown };
const row = (
  name: string,
  call: () => unknown,
  path: string,
  got: string,
  expected: string,
): Row => ({
  name,
  call,
  path,
  got,
  expected,
});
const opts = (o: object) => o as never;

const rows: Row[] = [
  // stage factories
  row(
    'producer without handleDemand',
    () => producer(opts({ handleEvents: pass })),
    'handleDemand',
    'undefined',
    'expected a function',
  ),
  row(
    'consumer with handleEvents a string',
    () => consumer(opts({ handleEvents: 'log' })),
    'handleEvents',
    "'log'",
    'expected a function',
  ),
  row(
    'producer bufferSize -1',
    () => producer({ handleDemand }, opts({ bufferSize: -1 })),
    'bufferSize',
    '-1',
    'expected a non-negative integer or Infinity',
  ),
  row(
    'producer bufferSize 1.5',
    () => producer({ handleDemand }, opts({ bufferSize: 1.5 })),
    'bufferSize',
    '1.5',
    'non-negative integer or Infinity',
  ),
  row(
    "producer bufferSize '100'",
    () => producer({ handleDemand }, opts({ bufferSize: '100' })),
    'bufferSize',
    "'100'",
    'or Infinity',
  ),
  row(
    "producer bufferKeep 'oldest'",
    () => producer({ handleDemand }, opts({ bufferKeep: 'oldest' })),
    'bufferKeep',
    "'oldest'",
    "expected one of 'first', 'last'",
  ),
  row(
    "producer demand 'auto'",
    () => producer({ handleDemand }, opts({ demand: 'auto' })),
    'demand',
    "'auto'",
    "expected one of 'forward', 'accumulate'",
  ),
  row(
    'producer dispatcher as a class',
    () => producer({ handleDemand }, opts({ dispatcher: DemandDispatcher })),
    'dispatcher',
    '[Function DemandDispatcher]',
    'expected a Dispatcher',
  ),
  row(
    "producer dispatcher 'broadcast'",
    () => producer({ handleDemand }, opts({ dispatcher: 'broadcast' })),
    'dispatcher',
    "'broadcast'",
    'expected a Dispatcher',
  ),
  row(
    "producer name ''",
    () => producer({ handleDemand }, opts({ name: '' })),
    'name',
    "''",
    'expected',
  ),
  row(
    'producer logger true',
    () => producer({ handleDemand }, opts({ logger: true })),
    'logger',
    'true',
    'expected a logger',
  ),
  row(
    'producer with subscribeTo',
    () => producer({ handleDemand }, opts({ subscribeTo: [] })),
    'subscribeTo',
    '[]',
    'unknown option',
  ),
  row(
    'consumer with a producer option',
    () => consumer({ handleEvents: () => undefined }, opts({ bufferSize: 10 })),
    'bufferSize',
    '10',
    'unknown option',
  ),
  row(
    'consumer subscribeTo one stage, not a list',
    () => consumer({ handleEvents: () => undefined }, opts({ subscribeTo: 'orders' })),
    'subscribeTo',
    "'orders'",
    'expected array',
  ),
  // subscriptions and asks
  row(
    'subscribe minDemand = maxDemand',
    () => sink().subscribe(source(), { minDemand: 10, maxDemand: 10 }),
    'minDemand',
    '10',
    'expected less than maxDemand (10)',
  ),
  row(
    'subscribe minDemand above the default maxDemand',
    () => sink().subscribe(source(), { minDemand: 5000 }),
    'minDemand',
    '5000',
    'expected less than maxDemand (1000)',
  ),
  row(
    'subscribe maxDemand 0',
    () => sink().subscribe(source(), { maxDemand: 0 }),
    'maxDemand',
    '0',
    'expected a positive integer',
  ),
  row(
    "subscribe maxDemand '10'",
    () => sink().subscribe(source(), opts({ maxDemand: '10' })),
    'maxDemand',
    "'10'",
    'expected a positive integer',
  ),
  row(
    'subscribe minDemand -1',
    () => sink().subscribe(source(), { minDemand: -1 }),
    'minDemand',
    '-1',
    'expected a non-negative integer',
  ),
  row(
    "subscribe cancel 'never'",
    () => sink().subscribe(source(), opts({ cancel: 'never' })),
    'cancel',
    "'never'",
    "'permanent', 'transient', 'temporary'",
  ),
  row(
    'subscribe partition 1.5',
    () => sink().subscribe(source(), opts({ partition: 1.5 })),
    'partition',
    '1.5',
    '',
  ),
  row(
    "subscribe selector 'even'",
    () => sink().subscribe(source(), opts({ selector: 'even' })),
    'selector',
    "'even'",
    'expected a function',
  ),
  row(
    "subscribe with 'max_demand'",
    () => sink().subscribe(source(), opts({ max_demand: 10 })),
    'max_demand',
    '10',
    'unknown option',
  ),
  row('ask -1', () => sink().ask(opts({}), -1), 'count', '-1', 'expected a non-negative integer'),
  row(
    'ask 2.5',
    () => sink().ask(opts({}), 2.5),
    'count',
    '2.5',
    'expected a non-negative integer',
  ),
  // dispatchers
  row(
    'PartitionDispatcher without partitions',
    () => new PartitionDispatcher(opts({})),
    'partitions',
    'undefined',
    '',
  ),
  row(
    'PartitionDispatcher 0 partitions',
    () => new PartitionDispatcher({ partitions: 0 }),
    'partitions',
    '0',
    'positive integer or a non-empty array',
  ),
  row(
    'PartitionDispatcher no partition names',
    () => new PartitionDispatcher({ partitions: [] }),
    'partitions',
    '[]',
    'non-empty array of partition names',
  ),
  row(
    "PartitionDispatcher hash 'id'",
    () => new PartitionDispatcher(opts({ partitions: 2, hash: 'id' })),
    'hash',
    "'id'",
    'expected a function',
  ),
  row(
    'DemandDispatcher maxDemand 0',
    () => new DemandDispatcher({ maxDemand: 0 }),
    'maxDemand',
    '0',
    '',
  ),
];

describe('core APIs refuse bad options at once, naming the option', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    expectInvalid(r.call, r);
  });
});
