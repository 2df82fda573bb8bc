/**
 * Issue 15's bad-input suite, pipeline files: each mistake, through
 * `sluice validate` (and a sample through `sluice run`), exits 2 with
 * `file:line:col: path: expectation, got value`, never a stack trace, a
 * hang, or a secret.
 */
import { describe, it } from 'vitest';
import { HEAD, expectClearFailure, type CliRow } from './support.ts';

const POSITIVE = 'expected a positive integer';
const MS = 'expected a positive number of ms';
const handlers = (text: string) => ({ 'h.mjs': text });

/** A file row: `text` as p.yaml (plus other files), checked by `command`. */
const file = (
  name: string,
  text: string,
  says: readonly string[],
  more: Partial<CliRow> = {},
  command: 'validate' | 'run' | 'topology' = 'validate',
): CliRow => ({
  name: `${command}: ${name}`,
  args: [command, 'p.yaml'],
  code: 2,
  says,
  ...more,
  files: { 'p.yaml': text, ...more.files },
});

const rows: CliRow[] = [
  file('an empty file', '', ['p.yaml:', 'expected a mapping of options (name, producer, …)']),
  file('a list', '- name: orders\n', ['expected a mapping of options']),
  file('a YAML syntax error', 'name: [orders\nproducer: {}', ['p.yaml:2:1: syntax error']),
  file('tabs for indentation', 'name: x\nproducer:\n\ttype: generator\n', ['syntax error']),
  file('no name', 'producer: { type: generator }', [
    'p.yaml:1:1: name: expected a non-empty string, got nothing',
  ]),
  file('a numeric name', 'name: 42\nproducer: { type: generator }', [
    'name: expected a non-empty string, got 42',
  ]),
  file('no producer', 'name: x', ['p.yaml:1:1: producer: expected object, got nothing']),
  file('a producer without type', 'name: x\nproducer: { count: 5 }', [
    "producer.type: expected a producer type, one of 'generator'",
  ]),
  file('an unknown producer type', 'name: x\nproducer: { type: ftp }', [
    'producer.type: expected a producer type',
    "got 'ftp'",
  ]),
  file('a producer type in capitals', 'name: x\nproducer: { type: SQS }', ["got 'SQS'"]),
  file('a negative count', 'name: x\nproducer: { type: generator, count: -1 }', [
    'p.yaml:2:',
    'producer.count: expected a non-negative integer, got -1',
  ]),
  file('a count in words', 'name: x\nproducer: { type: generator, count: many }', [
    "producer.count: expected a non-negative integer, or 'endless', got 'many'",
  ]),
  file('a zero rate', 'name: x\nproducer: { type: generator, rate: 0 }', [
    'producer.rate: expected a positive number, got 0',
  ]),
  file('a file producer without path', 'name: x\nproducer: { type: file }', [
    'producer.path: expected a file path, got nothing',
  ]),
  file('an unknown file format', 'name: x\nproducer: { type: file, path: in.txt, format: csv }', [
    "producer.format: expected one of 'lines', 'jsonl', got 'csv'",
  ]),
  file('a stdin producer with a path', 'name: x\nproducer: { type: stdin, path: in.txt }', [
    'producer.path: unknown option',
  ]),
  file('producer concurrency 0', 'name: x\nproducer: { type: generator, concurrency: 0 }', [
    `producer.concurrency: ${POSITIVE}, got 0`,
  ]),
  file(
    'producer concurrency 125000',
    'name: x\nproducer: { type: generator, concurrency: 125000 }',
    ['producer.concurrency: expected at most 10000', 'got 125000'],
  ),
  file(
    'rateLimiting without interval',
    'name: x\nproducer: { type: generator, rateLimiting: { allowedMessages: 5 } }',
    [`producer.rateLimiting.interval: ${MS}, got nothing`],
  ),
  file(
    'rateLimiting interval as text',
    'name: x\nproducer: { type: generator, rateLimiting: { allowedMessages: 5, interval: one second } }',
    [`producer.rateLimiting.interval: ${MS}, got 'one second'`],
  ),
  file('processors as a list', `${HEAD}processors: [default]`, ['processors: expected record']),
  file('no processor group', `${HEAD}processors: {}`, [
    'processors: expected exactly one processor group',
  ]),
  file(
    'processors concurrency in words',
    `${HEAD}processors: { default: { concurrency: eight } }`,
    ['p.yaml:3:', `processors.default.concurrency: ${POSITIVE}, got 'eight'`],
  ),
  file('processors concurrency 125000', `${HEAD}processors: { default: { concurrency: 125000 } }`, [
    'processors.default.concurrency: expected at most 10000',
    'got 125000',
  ]),
  file(
    'producer × processors over the subscriptions limit',
    'name: x\nproducer: { type: generator, concurrency: 20 }\nprocessors: { default: { concurrency: 10000 } }',
    ['producer.concurrency: expected at most 10 with 10000 processors', 'got 20'],
  ),
  file(
    'minDemand at maxDemand',
    `${HEAD}processors: { default: { maxDemand: 10, minDemand: 10 } }`,
    ['processors.default.minDemand: expected less than maxDemand (10), got 10'],
  ),
  file(
    'a processor timeout with an unknown unit',
    `${HEAD}processors: { default: { timeout: 5sec } }`,
    [`processors.default.timeout: ${MS}, got '5sec'`],
  ),
  file('a processor option typo', `${HEAD}processors: { default: { concurency: 4 } }`, [
    'processors.default.concurency: unknown option',
  ]),
  file('partitionBy in a file', `${HEAD}processors: { default: { partitionBy: customerId } }`, [
    "processors.default.partitionBy: expected a function, got 'customerId'",
  ]),
  file('batchSize 0', `${HEAD}batchers: { db: { batchSize: 0 } }\nsink: { type: stdout }`, [
    'batchers.db.batchSize: expected a positive integer',
    'got 0',
  ]),
  file(
    'batchTimeout negative',
    `${HEAD}batchers: { db: { batchTimeout: -1 } }\nsink: { type: stdout }`,
    [`batchers.db.batchTimeout: ${MS}, got -1`],
  ),
  file(
    'batch concurrency 125000',
    `${HEAD}batchers: { db: { concurrency: 125000 } }\nsink: { type: stdout }`,
    ['batchers.db.concurrency: expected at most 10000'],
  ),
  file('batchers without handleBatch or sink', `${HEAD}batchers: { db: {} }`, [
    'batchers: batchers need a handleBatch',
  ]),
  file('a missing handler module', `${HEAD}handlers: ./nope.ts`, [
    'handlers: handler module ./nope.ts does not exist',
  ]),
  file(
    'a handler module with a syntax error',
    `${HEAD}handlers: ./h.mjs`,
    ['handlers: handler module ./h.mjs failed to load'],
    { files: handlers('export const handleMessage = (;') },
  ),
  file(
    'a TypeScript handler module with a syntax error: the problem and its place, not "Transform failed"',
    `${HEAD}handlers: ./h.ts`,
    // Node 20 loads it through tsx (esbuild's message), 22.18+ strips the types itself.
    ['handlers: handler module ./h.ts failed to load: SyntaxError: ', 'h.ts:1:2'],
    { files: { 'h.ts': 'export const a: number = ;\n' } },
  ),
  file(
    'a handler module that throws on import',
    `${HEAD}handlers: ./h.mjs`,
    ['failed to load: boom at import'],
    { files: handlers("throw new Error('boom at import');") },
  ),
  file(
    'a misspelt handler export',
    `${HEAD}handlers: ./h.mjs`,
    ['exports handlemessage, which Sluice does not call; did you mean handleMessage?'],
    { files: handlers('export const handlemessage = (_p, m) => m;') },
  ),
  file(
    'a handler export that is not a function',
    `${HEAD}handlers: ./h.mjs`,
    ['handleMessage must be a function, got string'],
    { files: handlers("export const handleMessage = 'm';") },
  ),
  file(
    'a default-exported function',
    `${HEAD}handlers: ./h.mjs`,
    ['has a default export that is a function'],
    { files: handlers('export default (_p, m) => m;') },
  ),
  file('an unknown sink type', `${HEAD}sink: { type: s3 }`, [
    "sink.type: expected a sink type, one of 'stdout', 'file'",
    "got 's3'",
  ]),
  file('a file sink without path', `${HEAD}sink: { type: file }`, [
    'sink.path: expected a file path, got nothing',
  ]),
  file('context as a list', `${HEAD}context: [a, b]`, ['context: expected record']),
  file('shutdownTimeout with an unknown unit', `${HEAD}shutdownTimeout: 30 secs`, [
    `shutdownTimeout: ${MS}, got '30 secs'`,
  ]),
  file('shutdownTimeout past the timer limit', `${HEAD}shutdownTimeout: 3000000000`, [
    'shutdownTimeout: expected at most 2147483647 ms',
  ]),
  file('an unknown top-level key', `${HEAD}handler: ./h.ts`, ['handler: unknown option']),
  file('a missing environment variable', 'name: x\nproducer: { type: file, path: "${INPUT}" }', [
    'producer.path: environment variable INPUT is not set',
  ]),
  file('tests that are not a list', `${HEAD}tests: { name: t }`, [
    'tests: expected a list of test cases',
  ]),
  file('a test without input', `${HEAD}tests: [{ name: t, expect: {} }]`, [
    'tests[0].input: expected a list of message data',
  ]),
  file('an SQS queue name for a URL', 'name: x\nproducer: { type: sqs, queueUrl: orders }', [
    "producer.queueUrl: expected a queue URL (http:// or https://), got 'orders'",
  ]),
  file(
    'an SQS wait of 30 s',
    'name: x\nproducer: { type: sqs, queueUrl: "http://h/q", waitTimeSeconds: 30 }',
    ['producer.waitTimeSeconds: expected an integer from 0 to 20, got 30'],
  ),
  file('Kafka without topics', 'name: x\nproducer: { type: kafka, groupId: g, topics: [] }', [
    'producer.topics: expected at least one topic',
  ]),
  file(
    'Kafka heartbeat over session',
    'name: x\nproducer: { type: kafka, groupId: g, topics: [t], heartbeatInterval: 60000 }',
    [
      'p.yaml:2:',
      'producer.heartbeatInterval: expected less than sessionTimeout (30000), got 60000',
    ],
  ),
  file('RabbitMQ prefetch 0', 'name: x\nproducer: { type: rabbitmq, queue: q, prefetch: 0 }', [
    'producer.prefetch: expected an integer from 1 to 65535, got 0',
  ]),
  file(
    'RabbitMQ retry without settings',
    'name: x\nproducer: { type: rabbitmq, queue: q, onFailure: retry }',
    ['producer.retry: expected retry settings'],
  ),
  file(
    'Redis without url or REDIS_URL',
    'name: x\nproducer: { type: redis, stream: s, group: g }',
    ['producer.url: required: give `url` or set the REDIS_URL environment variable'],
    { env: { REDIS_URL: '' } },
  ),
  file(
    'a Redis count of 0',
    'name: x\nproducer: { type: redis, url: "redis://h", stream: s, group: g, count: 0 }',
    ['producer.count: expected an integer from 1 to 10000, got 0'],
  ),
  file(
    'NATS without servers or NATS_URL',
    'name: x\nproducer: { type: nats, stream: S, consumer: c }',
    ['producer.servers: required: give servers'],
    { env: { NATS_URL: '' } },
  ),
  file(
    'a NATS stream name with a dot',
    'name: x\nproducer: { type: nats, servers: "nats://h:4222", stream: a.b, consumer: c }',
    ["producer.stream: expected a name without spaces, `.`, `*` or `>`, got 'a.b'"],
  ),
  file(
    'a NATS filterSubject without createConsumer',
    'name: x\nproducer: { type: nats, servers: "nats://h:4222", stream: S, consumer: c, filterSubject: "a.>" }',
    ['producer.filterSubject: filterSubject applies only with createConsumer: true'],
  ),
  // the same mistakes through the other commands
  file(
    'processors concurrency 125000',
    `${HEAD}processors: { default: { concurrency: 125000 } }`,
    ['processors.default.concurrency: expected at most 10000'],
    {},
    'run',
  ),
  file(
    'producer × processors over the limit',
    'name: x\nproducer: { type: generator, concurrency: 20 }\nprocessors: { default: { concurrency: 10000 } }',
    ['producer.concurrency: expected at most 10'],
    {},
    'run',
  ),
  file(
    'a misspelt handler export',
    `${HEAD}handlers: ./h.mjs`,
    ['did you mean handleMessage?'],
    { files: handlers('export const handlemessage = (_p, m) => m;') },
    'run',
  ),
  file('a YAML syntax error', 'name: [x\nproducer: {}', ['syntax error'], {}, 'run'),
  file(
    'an unknown producer type',
    'name: x\nproducer: { type: ftp }',
    ["got 'ftp'"],
    {},
    'topology',
  ),
  file(
    'a file producer on a missing file',
    'name: x\nproducer: { type: file, path: missing.txt }',
    ['missing.txt'],
    { code: 1 },
    'run',
  ),
];

describe('sluice refuses a bad pipeline file clearly', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    await expectClearFailure(r);
  });
});
