/**
 * Issue 17, item 12: the CLI's smaller edges: --version, several files for
 * validate, --env-file, no idle progress lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { whenChanged } from '../../src/commands/progress.ts';
import { logLines, runSluice } from './spawn.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-small-'));
  writeFileSync(
    join(dir, 'good.yaml'),
    'name: good\nproducer:\n  type: generator\n  count: ${COUNT}\n',
  );
  writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nproducer:\n  type: generator\n  count: -1\n');
  writeFileSync(join(dir, 'count.env'), '# the count\nCOUNT=3\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sluice --version', () => {
  it("prints the package's version and exits 0", async () => {
    const manifest = resolve(import.meta.dirname, '../../package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const ended = await runSluice([flag]);
      expect(ended.code).toBe(0);
      expect(ended.stdout.trim()).toBe(version);
    }
  });
});

describe('sluice validate with several files', () => {
  it('reports each, and exits 2 if any is invalid', async () => {
    const ended = await runSluice(['validate', 'good.yaml', 'bad.yaml'], {
      cwd: dir,
      env: { COUNT: '5' },
    });
    expect(ended.code).toBe(2);
    expect(ended.stdout).toContain('good.yaml is valid.');
    expect(ended.stderr).toContain('bad.yaml:4:3: producer.count');
  });

  it('exits 0 when all are valid', async () => {
    const ended = await runSluice(['validate', 'good.yaml', 'good.yaml'], {
      cwd: dir,
      env: { COUNT: '5' },
    });
    expect(ended.code).toBe(0);
    expect(ended.stdout.match(/good\.yaml is valid\./g)).toHaveLength(2);
  });
});

describe('--env-file', () => {
  it('reads variables from the file before the pipeline file', async () => {
    const ended = await runSluice(['run', '--env-file', 'count.env', 'good.yaml'], { cwd: dir });
    expect(ended.code).toBe(0);
    expect(logLines(ended.stderr).at(-1)?.['received']).toBe(3);
  });

  it('leaves a variable already set alone', async () => {
    const ended = await runSluice(['run', '--env-file', 'count.env', 'good.yaml'], {
      cwd: dir,
      env: { COUNT: '4' },
    });
    expect(logLines(ended.stderr).at(-1)?.['received']).toBe(4);
  });
});

describe('durations in a pipeline file', () => {
  it('turn into ms where an option takes ms, from the file or a variable', async () => {
    writeFileSync(
      join(dir, 'durations.yaml'),
      'name: d\nproducer:\n  type: generator\n  count: 1\nbatchers:\n  b: { batchTimeout: 1m30s }\nsink: { type: stdout }\nshutdownTimeout: ${T:-2s}\n',
    );
    const ended = await runSluice(['validate', '--print', 'durations.yaml'], { cwd: dir });
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('"batchTimeout": 90000');
    expect(ended.stdout).toContain('"shutdownTimeout": 2000');
    // From the environment, the value is hidden in --print; run takes it.
    const run = await runSluice(['validate', 'durations.yaml'], { cwd: dir, env: { T: '500ms' } });
    expect(run.code).toBe(0);
  });

  it('are refused where an option is a count or in seconds', async () => {
    writeFileSync(
      join(dir, 'not-ms.yaml'),
      'name: d\nproducer:\n  type: sqs\n  queueUrl: http://127.0.0.1:9324/000000000000/q\n  waitTimeSeconds: 1s\n  maxNumberOfMessages: 2s\n',
    );
    const ended = await runSluice(['validate', 'not-ms.yaml'], { cwd: dir });
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain(
      "producer.waitTimeSeconds: expected an integer from 0 to 20, got '1s'",
    );
    expect(ended.stderr).toContain('producer.maxNumberOfMessages:');
  });
});

describe('an unknown key', () => {
  it('names the key it most likely meant, at any depth and in any producer', async () => {
    writeFileSync(
      join(dir, 'typos.yaml'),
      'name: t\nproducer:\n  type: sqs\n  queueUrl: http://127.0.0.1:9324/000000000000/q\n  waitTimeSecond: 2\nprocessors:\n  default: { concurency: 2 }\nbatchers:\n  b: { batchsize: 3, zzz: 1 }\nshutdowntimeout: 3\nsink: { type: stdout }\n',
    );
    const ended = await runSluice(['validate', 'typos.yaml'], { cwd: dir });
    expect(ended.code).toBe(2);
    for (const line of [
      'typos.yaml:5:3: producer.waitTimeSecond: unknown option; did you mean waitTimeSeconds?',
      'typos.yaml:7:14: processors.default.concurency: unknown option; did you mean concurrency?',
      'typos.yaml:9:8: batchers.b.batchsize: unknown option; did you mean batchSize?',
      'typos.yaml:9:22: batchers.b.zzz: unknown option\n',
      'typos.yaml:10:1: shutdowntimeout: unknown option; did you mean shutdownTimeout?',
    ]) {
      expect(ended.stderr).toContain(line);
    }
  });
});

describe('an indentation error', () => {
  it('points at the line indented too deep, once', async () => {
    writeFileSync(
      join(dir, 'indent.yaml'),
      'name: x\nproducer:\n  type: generator\n   count: 10\nprocessors:\n  default: {}\n',
    );
    const ended = await runSluice(['validate', 'indent.yaml'], { cwd: dir });
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain(
      'indent.yaml:4:4: syntax error: this line is indented deeper than the key above it',
    );
    expect(ended.stderr).toContain('1 problem in indent.yaml');
  });
});

describe('a start-up failure', () => {
  it('is logged once, its cause not repeated in the message', async () => {
    writeFileSync(
      join(dir, 'unreachable.yaml'),
      'name: unreachable\nproducer:\n  type: rabbitmq\n  url: amqp://127.0.0.1:1\n  queue: q\n',
    );
    const ended = await runSluice(['run', 'unreachable.yaml'], { cwd: dir });
    expect(ended.code).toBe(1);
    const lines = logLines(ended.stderr);
    const problems = lines.filter((l) => (l['level'] as number) >= 40);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.['msg']).toMatch(/^pipeline unreachable failed to start: cannot reach/);
    const err = problems[0]?.['err'] as { message: string; cause?: { message: string } };
    expect(err.message.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(err.cause?.message).toContain('ECONNREFUSED');
  });
});

describe('progress lines', () => {
  it('are written only when something changed', () => {
    const emit = vi.fn();
    const progress = whenChanged(emit);
    progress({ received: 0, stages: {} });
    progress({ received: 0, stages: {} });
    progress({ received: 2, stages: { 'processors default': 2 } });
    progress({ received: 2, stages: { 'processors default': 2 } });
    expect(emit.mock.calls.map((call) => (call[0] as { received: number }).received)).toEqual([
      0, 2,
    ]);
  });
});
