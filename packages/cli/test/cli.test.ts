/**
 * The `sluice` command, end to end, as a user runs it: the real binary
 * (built by `npm run build`), its stdout, stderr and exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
const EXAMPLE = resolve(import.meta.dirname, '../../../examples/config-driven/pipeline.yaml');
let dir = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(
  args: string[],
  options: {
    env?: Record<string, string>;
    input?: string;
    onStart?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    options.onStart?.(child);
  });
}

const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

/** The last JSON log line on stderr (the run summary). */
const summary = (stderr: string): Record<string, unknown> =>
  JSON.parse(
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1) ?? '{}',
  ) as Record<string, unknown>;

describe('sluice --help', () => {
  it.each(['run', 'validate', 'topology', 'schema'])(
    'explains %s with examples',
    async (command) => {
      const { code, stdout } = await sluice([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: sluice /);
      expect(stdout).toMatch(/Examples?:/);
    },
  );

  it('lists the commands, and refuses an unknown one with exit code 2', async () => {
    expect((await sluice(['--help'])).stdout).toContain('validate <file>');
    const unknown = await sluice(['launch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("sluice: unknown command 'launch'");
  });
});

describe('sluice validate', () => {
  it('accepts the example pipeline and draws it', async () => {
    const { code, stdout } = await sluice(['validate', EXAMPLE]);
    expect(code).toBe(0);
    expect(stdout).toContain('is valid.');
    expect(stdout).toContain('batcher warehouse (batchSize 500, batchTimeout 200 ms)');
  });

  const cases: [string, string, string][] = [
    [
      'a wrong type',
      'name: x\nproducer: { type: generator }\nprocessors: { default: { concurrency: "eight" } }',
      "bad.yaml:3:26: processors.default.concurrency: expected a positive integer, got 'eight'",
    ],
    [
      'an unknown key',
      'name: x\nproducer: { type: generator, cout: 5 }',
      'bad.yaml:2:30: producer.cout: unknown option',
    ],
    [
      'an unknown producer type',
      'name: x\nproducer: { type: ftp }',
      "bad.yaml:2:13: producer.type: expected a producer type, one of 'generator', 'file', 'stdin', 'sqs', 'kafka', 'rabbitmq', 'redis', 'nats', got 'ftp'",
    ],
    [
      'a missing environment variable',
      'name: x\nproducer:\n  type: file\n  path: ${INPUT_PATH}',
      'bad.yaml:4:3: producer.path: environment variable INPUT_PATH is not set (write ${INPUT_PATH:-default} for a default)',
    ],
    [
      'a missing name',
      'producer: { type: generator }',
      'bad.yaml:1:1: name: expected a non-empty string, got nothing',
    ],
    [
      'a YAML syntax error',
      'name: [oops\nproducer: {}',
      'bad.yaml:2:1: syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'two processor groups',
      'name: x\nproducer: { type: generator }\nprocessors: { a: {}, b: {} }',
      'bad.yaml:3:1: processors: expected exactly one processor group, e.g. { default: {} }, got { a: {}, b: {} }',
    ],
    [
      'minDemand not below maxDemand',
      'name: x\nproducer: { type: generator }\nprocessors: { default: { maxDemand: 10, minDemand: 10 } }',
      'bad.yaml:3:41: processors.default.minDemand: expected less than maxDemand (10), got 10',
    ],
    [
      'batchers with nothing to handle batches',
      'name: x\nproducer: { type: generator }\nbatchers: { s3: {} }',
      'bad.yaml:3:1: batchers: batchers need a handleBatch: give batcher s3 a sink, name a handlers module that exports handleBatch, or a file-level sink (stdout or file)',
    ],
    [
      'a handler export that is not a function',
      'name: x\nproducer: { type: generator }\nhandlers: ./number.mjs',
      'bad.yaml:3:1: handlers: handler module ./number.mjs: handleMessage must be a function, got number',
    ],
    [
      'a handler module that does not exist',
      'name: x\nproducer: { type: generator }\nhandlers: ./nope.ts',
      'bad.yaml:3:1: handlers: handler module ./nope.ts does not exist',
    ],
    [
      'a missing handleBatch export',
      'name: x\nproducer: { type: generator }\nbatchers: { s3: {} }\nhandlers: ./message-only.mjs',
      'bad.yaml:4:1: handlers: handler module ./message-only.mjs does not export handleBatch, and there is no sink for batcher s3',
    ],
    // Issue 15: these were valid, and `sluice run` acked every message unhandled.
    [
      'a misspelt handler export',
      'name: x\nproducer: { type: generator }\nhandlers: ./misspelt.mjs',
      'bad.yaml:3:1: handlers: handler module ./misspelt.mjs exports handlemessage, which Sluice does not call; did you mean handleMessage?',
    ],
    [
      'a handler module with no callback',
      'name: x\nproducer: { type: generator }\nhandlers: ./helpers-only.mjs',
      'bad.yaml:3:1: handlers: handler module ./helpers-only.mjs exports no callback Sluice can call (it exports format, parse); export one of handleMessage, handleBatch, handleFailed, prepareMessages',
    ],
    [
      'a default export that is a function',
      'name: x\nproducer: { type: generator }\nhandlers: ./default-fn.mjs',
      'bad.yaml:3:1: handlers: handler module ./default-fn.mjs has a default export that is a function',
    ],
    [
      'a handler module that throws when loaded',
      'name: x\nproducer: { type: generator }\nhandlers: ./throws.mjs',
      'bad.yaml:3:1: handlers: handler module ./throws.mjs failed to load: boom at import',
    ],
    [
      'a document that is not a mapping',
      '- 1\n- 2',
      'bad.yaml:1:1: expected a mapping of options (name, producer, …)',
    ],
    ['an empty file', '', 'bad.yaml: expected a mapping of options (name, producer, …)'],
    [
      'a negative count',
      'name: x\nproducer: { type: generator, count: -1 }',
      'bad.yaml:2:30: producer.count: expected a non-negative integer, got -1',
    ],
    [
      'a file producer without a path',
      'name: x\nproducer: { type: file }',
      'bad.yaml:2:1: producer.path: expected a file path, got nothing',
    ],
    [
      'an unknown sink',
      'name: x\nproducer: { type: generator }\nsink: { type: s3 }',
      "bad.yaml:3:9: sink.type: expected a sink type, one of 'stdout', 'file', got 's3'",
    ],
    [
      'a batchSize of 0',
      'name: x\nproducer: { type: generator }\nbatchers: { s3: { batchSize: 0 } }\nsink: { type: stdout }',
      'bad.yaml:3:19: batchers.s3.batchSize: expected a positive integer, got 0',
    ],
    [
      'a rate-limit interval that is not a number',
      'name: x\nproducer:\n  type: generator\n  rateLimiting: { allowedMessages: 10, interval: "a second" }',
      "bad.yaml:4:40: producer.rateLimiting.interval: expected a positive number of ms, got 'a second'",
    ],
    [
      'an unknown line format',
      'name: x\nproducer: { type: file, path: in.txt, format: csv }',
      "bad.yaml:2:39: producer.format: expected one of 'lines', 'jsonl', got 'csv'",
    ],
    [
      'a zero shutdownTimeout',
      'name: x\nproducer: { type: generator }\nshutdownTimeout: 0',
      'bad.yaml:3:1: shutdownTimeout: expected a positive number of ms, got 0',
    ],
    [
      'a shutdownTimeout past the longest timer',
      'name: x\nproducer: { type: generator }\nshutdownTimeout: 2147483648',
      'bad.yaml:3:1: shutdownTimeout: expected at most 2147483647 ms (about 24.8 days, the longest timer Node keeps), got 2147483648',
    ],
  ];

  it.each(cases)('reports %s with its line and column', async (_what, text, expected) => {
    file('number.mjs', 'export const handleMessage = 1;\n');
    file('message-only.mjs', 'export function handleMessage(_p, m) { return m; }\n');
    file('throws.mjs', 'throw new Error("boom at import");\n');
    file('misspelt.mjs', 'export function handlemessage(_p, m) { return m; }\n');
    file('helpers-only.mjs', 'export const parse = JSON.parse;\nexport const format = String;\n');
    file('default-fn.mjs', 'export default function (_p, m) { return m; }\n');
    file('bad.yaml', `${text}\n`);
    const { code, stderr, stdout } = await sluice(['validate', 'bad.yaml']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toContain(expected);
  });

  it('leaves the handler module alone with --no-handlers, and still checks the options', async () => {
    // A module whose top-level code would leave a mark if it ran.
    file(
      'marks.mjs',
      `import { writeFileSync } from 'node:fs';\nwriteFileSync('ran.txt', 'ran');\nexport const handleMessage = (_p, m) => m;\n`,
    );
    file(
      'trusted.yaml',
      'name: t\nproducer: { type: generator }\nbatchers: { s3: {} }\nhandlers: ./marks.mjs\n',
    );
    const linted = await sluice(['validate', '--no-handlers', 'trusted.yaml']);
    expect(linted.code).toBe(0);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    // Without the flag the module is imported, and run.
    const checked = await sluice(['validate', 'trusted.yaml']);
    expect(checked.code).toBe(2); // it exports no handleBatch for the batcher
    expect(existsSync(join(dir, 'ran.txt'))).toBe(true);
    file(
      'bad-options.yaml',
      'name: t\nproducer: { type: generator, cout: 1 }\nhandlers: ./marks.mjs\n',
    );
    const bad = await sluice(['validate', '--no-handlers', 'bad-options.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('producer.cout: unknown option');
  });

  it('reports errors in a JSON file with their position too', async () => {
    file(
      'bad.json',
      '{\n  "name": "x",\n  "producer": { "type": "generator", "count": "many" }\n}\n',
    );
    const { stderr } = await sluice(['validate', 'bad.json']);
    expect(stderr.split('\n')[0]).toBe(
      "bad.json:3:38: producer.count: expected a non-negative integer, or 'endless', got 'many'",
    );
  });

  it('lists every problem, not just the first', async () => {
    file(
      'many.yaml',
      'producer: { type: generator, count: -1 }\nprocessors: { default: { concurrency: 0 } }\nbogus: 1\n',
    );
    const { stderr } = await sluice(['validate', 'many.yaml']);
    expect(stderr).toContain('many.yaml:1:1: name: expected a non-empty string');
    expect(stderr).toContain('producer.count: expected a non-negative integer, got -1');
    expect(stderr).toContain('processors.default.concurrency: expected a positive integer, got 0');
    expect(stderr).toContain('bogus: unknown option');
    expect(stderr).toContain('4 problems in many.yaml');
  });

  it('never prints secrets, even with --print', async () => {
    file(
      'secret.yaml',
      'name: x\nproducer: { type: generator }\ncontext:\n  dbPassword: ${DB_PASSWORD}\n  brokerUrl: amqp://app:${DB_PASSWORD}@127.0.0.1:5672\n',
    );
    const { code, stdout } = await sluice(['validate', '--print', 'secret.yaml'], {
      env: { DB_PASSWORD: 'hunter2-very-secret' },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('"dbPassword": "[redacted: from $DB_PASSWORD]"');
    expect(stdout).toContain('amqp://app:[redacted: from $DB_PASSWORD]@127.0.0.1:5672');
    expect(stdout).not.toContain('hunter2-very-secret');
  });

  it('loads TypeScript handlers without a build step', async () => {
    file(
      'handlers.ts',
      'import type { Message } from "@sluice/core";\nexport function handleMessage(_p: string, m: Message): Message { return m; }\n',
    );
    file('ts.yaml', 'name: x\nproducer: { type: generator, count: 1 }\nhandlers: ./handlers.ts\n');
    expect((await sluice(['validate', 'ts.yaml'])).code).toBe(0);
  });
});

describe('sluice topology', () => {
  it('draws producers, processors, batchers and batch processors with their concurrency', async () => {
    file(
      'topo.yaml',
      'name: orders\nproducer: { type: generator, concurrency: 2 }\nprocessors: { default: { concurrency: 50, maxDemand: 20 } }\nbatchers:\n  warehouse: { batchSize: 500, batchTimeout: 2000, concurrency: 2 }\nsink: { type: stdout }\n',
    );
    const { code, stdout } = await sluice(['topology', 'topo.yaml']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'orders',
        '  producer generator ×2',
        '  └─▶ processors default ×50 (maxDemand 20, minDemand 10)',
        '        └─▶ batcher warehouse (batchSize 500, batchTimeout 2000 ms)',
        '              └─▶ batch processors ×2',
        '',
      ].join('\n'),
    );
  });
});

describe('sluice schema', () => {
  it('prints the file format as JSON Schema', async () => {
    const { code, stdout } = await sluice(['schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'producer', 'processors', 'batchers', 'handlers', 'sink']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'producer']));
  });

  it('matches the published schema file (regenerate it with npm run schema)', async () => {
    const published = readFileSync(
      resolve(import.meta.dirname, '../schema/pipeline.schema.json'),
      'utf8',
    );
    expect(JSON.parse((await sluice(['schema'])).stdout)).toEqual(JSON.parse(published));
  });
});

describe('sluice run', () => {
  it('runs a finite generator to the end and exits 0 with everything acked', async () => {
    file(
      'count.yaml',
      'name: counted\nproducer: { type: generator, count: 5000 }\nprocessors: { default: { concurrency: 2 } }\n',
    );
    const { code, stderr } = await sluice(['run', 'count.yaml']);
    expect(code).toBe(0);
    expect(summary(stderr)).toMatchObject({
      received: 5000,
      successful: 5000,
      failed: 0,
      unacked: 0,
      reason: 'source exhausted',
    });
  });

  it.each([
    [
      'a default export object',
      'default.mjs',
      'export default { handleMessage: (_p, m) => m.fail("seen") };\n',
    ],
    [
      'a CommonJS module',
      'common.cjs',
      'module.exports = { handleMessage: (_p, m) => m.fail("seen") };\n',
    ],
  ])('calls the callbacks of %s', async (_what, name, source) => {
    file(name, source);
    file(
      'by-default.yaml',
      `name: d\nproducer: { type: generator, count: 10 }\nhandlers: ./${name}\n`,
    );
    const { code, stderr } = await sluice(['run', 'by-default.yaml']);
    expect(code).toBe(0);
    // Every message went through the handler, which failed it on purpose.
    expect(summary(stderr)).toMatchObject({ received: 10, successful: 0, failed: 10 });
  });

  // Issue 15: these runs logged one error and then waited for ever.
  it.each([
    ['a missing file', 'missing.txt', 'file producer: cannot read missing.txt: no such file'],
    ['a directory', '.', 'file producer: cannot read .: it is not a file (a directory?)'],
  ])(
    'exits 1 at once, naming the cause, when the file producer is given %s',
    async (_what, path, cause) => {
      file('unreadable.yaml', `name: u\nproducer: { type: file, path: ${path} }\n`);
      const { code, stderr } = await sluice(['run', 'unreadable.yaml']);
      expect(code).toBe(1);
      expect(stderr).toContain(cause);
    },
  );

  it('exits 1 by the shutdownTimeout when a handler never settles, reporting what is un-acked', async () => {
    file('hangs.mjs', 'export const handleMessage = () => new Promise(() => {});\n');
    file(
      'hangs.yaml',
      'name: hangs\nproducer: { type: generator, count: 5 }\nhandlers: ./hangs.mjs\nshutdownTimeout: 300\n',
    );
    const { code, stderr } = await sluice(['run', 'hangs.yaml']);
    expect(code).toBe(1);
    expect(summary(stderr)).toMatchObject({ received: 5, unacked: 5, timedOut: true });
  });

  it('never repeats a jsonl line after a blank one, however often it is rerun', async () => {
    file('gaps.jsonl', '{"n":1}\n\n{"n":2}\n{"n":3}\n');
    file(
      'gaps.yaml',
      'name: gaps\nproducer: { type: file, path: gaps.jsonl, format: jsonl }\nsink: { type: file, path: gaps-out.jsonl }\n',
    );
    for (let run = 0; run < 3; run++) expect((await sluice(['run', 'gaps.yaml'])).code).toBe(0);
    const written = readFileSync(join(dir, 'gaps-out.jsonl'), 'utf8').trim().split('\n');
    expect(written.map((l) => JSON.parse(l) as unknown)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('drains on SIGTERM halfway and loses nothing', async () => {
    file(
      'endless.yaml',
      'name: endless\nproducer: { type: generator }\nbatchers: { out: { batchSize: 100 } }\nsink: { type: file, path: endless.jsonl }\n',
    );
    const out = join(dir, 'endless.jsonl');
    const { code, stderr } = await sluice(['run', 'endless.yaml'], {
      onStart: (child) => {
        const poll = setInterval(() => {
          if (existsSync(out) && readFileSync(out, 'utf8').length > 10_000) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 20);
      },
    });
    expect(code).toBe(0);
    const s = summary(stderr);
    expect(s).toMatchObject({ unacked: 0, failed: 0, reason: 'stopped by SIGTERM' });
    const written = readFileSync(out, 'utf8').trim().split('\n');
    expect(written.length).toBe(s['successful']);
    expect(s['received']).toBe(s['successful']);
  });

  it('resumes a file exactly after the last acked line when restarted', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ line: i + 1 }));
    file('input.jsonl', `${lines.join('\n')}\n`);
    file(
      'resume.yaml',
      'name: resume\nproducer:\n  type: file\n  path: input.jsonl\n  format: jsonl\n  rateLimiting: { allowedMessages: 200, interval: 50 }\nbatchers: { out: { batchSize: 50 } }\nsink: { type: file, path: resume.jsonl }\n',
    );
    const checkpoint = join(dir, 'input.jsonl.offset');
    const first = await sluice(['run', 'resume.yaml'], {
      onStart: (child) => {
        const poll = setInterval(() => {
          if (existsSync(checkpoint) && Number(readFileSync(checkpoint, 'utf8')) >= 400) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 10);
      },
    });
    expect(first.code).toBe(0);
    const stoppedAt = Number(readFileSync(checkpoint, 'utf8'));
    expect(stoppedAt).toBeGreaterThanOrEqual(400);
    expect(stoppedAt).toBeLessThan(3000);
    expect(readFileSync(join(dir, 'resume.jsonl'), 'utf8').trim().split('\n')).toHaveLength(
      stoppedAt,
    );

    const second = await sluice(['run', 'resume.yaml']);
    expect(second.code).toBe(0);
    expect(summary(second.stderr)).toMatchObject({
      received: 3000 - stoppedAt,
      reason: 'source exhausted',
    });
    const all = readFileSync(join(dir, 'resume.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(Number(readFileSync(checkpoint, 'utf8'))).toBe(3000);
  });

  it('reads stdin and writes the stdout sink, failing lines that are not JSON', async () => {
    file(
      'pipe.yaml',
      'name: pipe\nproducer: { type: stdin, format: jsonl }\nbatchers: { out: { batchSize: 10 } }\nsink: { type: stdout }\n',
    );
    const { code, stdout, stderr } = await sluice(['run', 'pipe.yaml'], {
      input: '{"a":1}\nnot json\n{"b":2}\n',
    });
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ a: 1 }, { b: 2 }]);
    expect(summary(stderr)).toMatchObject({ successful: 2, failed: 1, unacked: 0 });
  });

  it('exits 2 on an invalid file without starting anything', async () => {
    file('invalid.yaml', 'name: x\nproducer: { type: nope }\n');
    const { code, stderr } = await sluice(['run', 'invalid.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('producer.type');
  });
});

describe('sluice test', () => {
  const pipelineFile = (tests: string): string =>
    file(
      'tested.yaml',
      `name: tested\nproducer: { type: generator }\nbatchers: { out: { batchSize: 10 } }\nhandlers: ./tested.mjs\n${tests}`,
    );

  beforeAll(() => {
    file(
      'tested.mjs',
      [
        'export function handleMessage(_p, m) {',
        '  if (m.data.bad) return m.fail(`bad input ${m.data.id}`);',
        '  return m.putData({ ...m.data, seen: true }).putBatcher("out");',
        '}',
        'export function handleBatch(_b, ms) { return ms; }',
        '',
      ].join('\n'),
    );
  });

  it('runs the cases through the real handlers and reports each', async () => {
    pipelineFile(
      [
        'tests:',
        '  - name: passes good input on',
        '    input: [{ id: 1 }, { id: 2 }]',
        '    expect:',
        '      successful: 2',
        '      batches: { out: [[{ id: 1, seen: true }, { id: 2, seen: true }]] }',
        '  - name: fails bad input with its reason',
        '    input: [{ id: 3, bad: true }]',
        '    expect:',
        '      failed: [{ data: { id: 3, bad: true }, reason: bad input 3 }]',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await sluice(['test', 'tested.yaml']);
    expect(code).toBe(0);
    expect(stdout).toContain('✓ passes good input on');
    expect(stdout).toContain('✓ fails bad input with its reason');
    expect(stdout).toContain('2 passed, 0 failed');
  });

  it('shows what differs and exits 1 when a case fails', async () => {
    pipelineFile(
      [
        'tests:',
        '  - name: expects the wrong thing',
        '    input: [{ id: 1 }]',
        '    expect:',
        '      failed: 1',
        '      batches: { out: [[{ id: 1 }]] }',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await sluice(['test', 'tested.yaml']);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ expects the wrong thing');
    expect(stdout).toContain('expected 1 failed messages, got 0');
    expect(stdout).toContain(
      'batcher out: expected batches [ [ { id: 1 } ] ], got [ [ { id: 1, seen: true } ] ]',
    );
    expect(stdout).toContain('0 passed, 1 failed');
  });

  it('reads cases from a separate file, reporting its problems with positions', async () => {
    pipelineFile('');
    file('cases.yaml', 'tests:\n  - name: no input\n    expect: {}\n');
    const { code, stderr } = await sluice(['test', '--tests', 'cases.yaml', 'tested.yaml']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      'cases.yaml:2:5: tests[0].input: expected a list of message data, got nothing',
    );
  });

  it('passes the example pipeline’s own tests', async () => {
    const example = resolve(import.meta.dirname, '../../../examples/config-driven');
    const { code, stdout } = await sluice([
      'test',
      '--tests',
      join(example, 'pipeline.tests.yaml'),
      join(example, 'pipeline.yaml'),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('2 passed, 0 failed');
  });
});
