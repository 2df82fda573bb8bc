/**
 * Issue 15's bad-input suite, createPipeline's options: one row per mistake
 * a user could make in a definition. Each must throw at once, naming the
 * option's path, what was expected and the value given.
 */
import { describe, it } from 'vitest';
import { createPipeline, type PipelineDefinition } from '../../src/index.ts';
import { expectInvalid, idle, pass, type OptionRow } from './support.ts';

const mod = idle();
const base = {
  name: 'orders',
  producer: { module: mod },
  processors: { default: {} },
  handleMessage: pass,
};
function byId() {
  return 'id';
}

/** A definition: the base with `patch` over it (a key set to undefined is removed). */
function define(patch: Record<string, unknown>): PipelineDefinition {
  const d: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete d[k];
  return d as unknown as PipelineDefinition;
}
const producer = (o: object) => define({ producer: { module: mod, ...o } });
const processor = (o: object) => define({ processors: { default: o } });
const batcher = (o: object) =>
  define({ batchers: { db: o }, handleBatch: (_b: string, ms: unknown[]) => ms });

type Row = OptionRow & { readonly definition: PipelineDefinition };
const row = (definition: PipelineDefinition, path: string, got: string, expected: string): Row => ({
  definition,
  path,
  got,
  expected,
});

const POSITIVE = 'expected a positive integer';
const MS = 'expected a positive number of ms';
const TIMER = 'expected at most 2147483647 ms';
const MAX_C = 'expected at most 10000';

const rows: Row[] = [
  // name
  row(define({ name: '' }), 'name', "''", 'expected a non-empty string'),
  row(define({ name: 42 }), 'name', '42', 'expected a non-empty string'),
  row(define({ name: undefined }), 'name', 'undefined', 'expected a non-empty string'),
  row(define({ name: ['orders'] }), 'name', "[ 'orders' ]", 'expected a non-empty string'),
  // producer
  row(define({ producer: undefined }), 'producer', 'undefined', 'expected object'),
  row(define({ producer: mod }), 'producer.module', 'undefined', 'expected a producer module'),
  row(producer({ module: undefined }), 'producer.module', 'undefined', 'producer module'),
  row(producer({ module: {} }), 'producer.module', '{}', 'an object with an init function'),
  row(producer({ module: { init: 'x' } }), 'producer.module', "{ init: 'x' }", 'init function'),
  row(producer({ module: () => mod }), 'producer.module', '[Function', 'producer module'),
  row(producer({ concurrency: 0 }), 'producer.concurrency', '0', POSITIVE),
  row(producer({ concurrency: -2 }), 'producer.concurrency', '-2', POSITIVE),
  row(producer({ concurrency: 1.5 }), 'producer.concurrency', '1.5', POSITIVE),
  row(producer({ concurrency: '4' }), 'producer.concurrency', "'4'", POSITIVE),
  row(producer({ concurrency: NaN }), 'producer.concurrency', 'NaN', POSITIVE),
  row(producer({ concurrency: 125_000 }), 'producer.concurrency', '125000', MAX_C),
  row(producer({ concurrency: 10_001 }), 'producer.concurrency', '10001', MAX_C),
  row(
    define({
      producer: { module: mod, concurrency: 20 },
      processors: { default: { concurrency: 10_000 } },
    }),
    'producer.concurrency',
    '20',
    'expected at most 10 with 10000 processors',
  ),
  row(producer({ transformer: 'json' }), 'producer.transformer', "'json'", 'expected a function'),
  row(producer({ rateLimiting: 100 }), 'producer.rateLimiting', '100', 'expected object'),
  row(
    producer({ rateLimiting: { allowedMessages: 0, interval: 1000 } }),
    'producer.rateLimiting.allowedMessages',
    '0',
    POSITIVE,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 2.5, interval: 1000 } }),
    'producer.rateLimiting.allowedMessages',
    '2.5',
    POSITIVE,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 10 } }),
    'producer.rateLimiting.interval',
    'undefined',
    MS,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 10, interval: 0 } }),
    'producer.rateLimiting.interval',
    '0',
    MS,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 10, interval: '1s' } }),
    'producer.rateLimiting.interval',
    "'1s'",
    MS,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 10, interval: Infinity } }),
    'producer.rateLimiting.interval',
    'Infinity',
    MS,
  ),
  row(
    producer({ rateLimiting: { allowedMessages: 10, interval: 1000, burst: 5 } }),
    'producer.rateLimiting.burst',
    '5',
    'unknown option',
  ),
  row(producer({ concurency: 2 }), 'producer.concurency', '2', 'unknown option'),
  // processors
  row(define({ processors: {} }), 'processors', '{}', 'expected exactly one processor group'),
  row(
    define({ processors: { fast: {}, slow: {} } }),
    'processors',
    '{ fast: {}, slow: {} }',
    'got 2 (fast, slow)',
  ),
  row(define({ processors: undefined }), 'processors', 'undefined', 'expected record'),
  row(define({ processors: [{}] }), 'processors', '[ {} ]', 'expected record'),
  row(processor({ concurrency: 0 }), 'processors.default.concurrency', '0', POSITIVE),
  row(processor({ concurrency: 2.5 }), 'processors.default.concurrency', '2.5', POSITIVE),
  row(processor({ concurrency: '8' }), 'processors.default.concurrency', "'8'", POSITIVE),
  row(processor({ concurrency: 125_000 }), 'processors.default.concurrency', '125000', MAX_C),
  row(processor({ maxDemand: 0 }), 'processors.default.maxDemand', '0', POSITIVE),
  row(processor({ maxDemand: -10 }), 'processors.default.maxDemand', '-10', POSITIVE),
  row(processor({ maxDemand: Infinity }), 'processors.default.maxDemand', 'Infinity', POSITIVE),
  row(processor({ minDemand: -1 }), 'processors.default.minDemand', '-1', 'non-negative integer'),
  row(processor({ minDemand: 0.5 }), 'processors.default.minDemand', '0.5', 'non-negative'),
  row(
    processor({ maxDemand: 10, minDemand: 10 }),
    'processors.default.minDemand',
    '10',
    'expected less than maxDemand (10)',
  ),
  row(
    processor({ concurrency: 4, minDemand: 500 }),
    'processors.default.minDemand',
    '500',
    'expected less than maxDemand (100)',
  ),
  row(processor({ partitionBy: 'id' }), 'processors.default.partitionBy', "'id'", 'a function'),
  row(processor({ timeout: 0 }), 'processors.default.timeout', '0', MS),
  row(processor({ timeout: '5s' }), 'processors.default.timeout', "'5s'", MS),
  row(processor({ timeout: -100 }), 'processors.default.timeout', '-100', MS),
  row(processor({ timeout: 2 ** 31 }), 'processors.default.timeout', '2147483648', TIMER),
  row(processor({ concurency: 4 }), 'processors.default.concurency', '4', 'unknown option'),
  row(processor({ batchSize: 10 }), 'processors.default.batchSize', '10', 'unknown option'),
  // batchers
  row(batcher({ batchSize: 0 }), 'batchers.db.batchSize', '0', 'expected a positive integer'),
  row(batcher({ batchSize: -1 }), 'batchers.db.batchSize', '-1', 'expected a positive integer'),
  row(batcher({ batchSize: 'big' }), 'batchers.db.batchSize', "'big'", 'positive integer or'),
  row(batcher({ batchSize: 2.5 }), 'batchers.db.batchSize', '2.5', 'positive integer or'),
  row(
    batcher({ batchSize: { accumulate: byId } }),
    'batchers.db.batchSize',
    '{ accumulate: [Function: byId] }',
    '{ initial, accumulate }',
  ),
  row(
    batcher({ batchSize: { initial: 0, accumulate: 'sum' } }),
    'batchers.db.batchSize',
    "{ initial: 0, accumulate: 'sum' }",
    '{ initial, accumulate }',
  ),
  row(batcher({ batchTimeout: 0 }), 'batchers.db.batchTimeout', '0', MS),
  row(batcher({ batchTimeout: NaN }), 'batchers.db.batchTimeout', 'NaN', MS),
  row(batcher({ batchTimeout: '1s' }), 'batchers.db.batchTimeout', "'1s'", MS),
  row(batcher({ batchTimeout: 2 ** 31 }), 'batchers.db.batchTimeout', '2147483648', TIMER),
  row(batcher({ concurrency: 0 }), 'batchers.db.concurrency', '0', POSITIVE),
  row(batcher({ concurrency: 1.2 }), 'batchers.db.concurrency', '1.2', POSITIVE),
  row(batcher({ concurrency: 125_000 }), 'batchers.db.concurrency', '125000', MAX_C),
  row(batcher({ partitionBy: 1 }), 'batchers.db.partitionBy', '1', 'expected a function'),
  row(batcher({ timeout: -5 }), 'batchers.db.timeout', '-5', MS),
  row(batcher({ size: 50 }), 'batchers.db.size', '50', 'unknown option'),
  row(batcher({ maxDemand: 50 }), 'batchers.db.maxDemand', '50', 'unknown option'),
  row(define({ batchers: 'db', handleBatch: pass }), 'batchers', "'db'", 'expected record'),
  row(
    define({ batchers: { db: {} } }),
    'handleBatch',
    'undefined',
    'required when batchers are defined',
  ),
  // the rest of the definition
  row(define({ shutdownTimeout: 0 }), 'shutdownTimeout', '0', MS),
  row(define({ shutdownTimeout: -1 }), 'shutdownTimeout', '-1', MS),
  row(define({ shutdownTimeout: '30s' }), 'shutdownTimeout', "'30s'", MS),
  row(define({ shutdownTimeout: Infinity }), 'shutdownTimeout', 'Infinity', MS),
  row(define({ partitionBy: 'customerId' }), 'partitionBy', "'customerId'", 'a function'),
  row(
    define({ logger: { info: pass } }),
    'logger',
    '{ info: [Function: pass] }',
    'expected a pino logger',
  ),
  row(define({ logger: 'debug' }), 'logger', "'debug'", 'expected a pino logger'),
  row(define({ handleMessage: undefined }), 'handleMessage', 'undefined', 'expected a function'),
  row(define({ handleMessage: 'handle' }), 'handleMessage', "'handle'", 'expected a function'),
  row(define({ handleBatch: 5 }), 'handleBatch', '5', 'expected a function'),
  row(define({ handleFailed: true }), 'handleFailed', 'true', 'expected a function'),
  row(define({ prepareMessages: {} }), 'prepareMessages', '{}', 'expected a function'),
  row(define({ handleMessages: pass }), 'handleMessages', '[Function pass]', 'unknown option'),
  row(define({ batcher: {} }), 'batcher', '{}', 'unknown option'),
  row(define({ processor: {} }), 'processor', '{}', 'unknown option'),
];

describe('createPipeline refuses a bad definition at once, naming the option', () => {
  it.each(rows.map((r) => [`${r.path} = ${r.got}`, r] as const))('%s', (_name, r) => {
    expectInvalid(() => createPipeline(r.definition), r);
  });
});
