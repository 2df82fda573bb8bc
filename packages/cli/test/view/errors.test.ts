import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { describe, expect, it } from 'vitest';
import { createLogSink, summarizeError, summarizeRecord } from '../../src/view/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-view-'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

async function thrownBy(file: string): Promise<unknown> {
  const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as {
    handleMessage: () => void;
  };
  try {
    module.handleMessage();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('summarizeError', () => {
  it('names the file of a TypeScript handler that tsx loaded as CommonJS, never a data: URL or a loader query', async () => {
    // No package.json with "type": "module" next to it: tsx loads it as
    // CommonJS. On Node 20 that is a data: URL whose frames carry the path
    // as filePath= (shown without a line: it would be the transpiled
    // code's); on Node 22 the frames read the path with a `?namespace=` query.
    const file = write(
      'cjs-handler.ts',
      'export function handleMessage(): void {\n  const n: number = 1;\n  throw new TypeError(`boom ${n}`);\n}\n',
    );
    const error = await thrownBy(file);
    const line = summarizeError(error);
    expect(line.startsWith(`TypeError: boom 1 (${file}`)).toBe(true);
    expect(line).not.toMatch(/data:|\?/);
    if ((error as Error).stack?.includes('data:text/javascript') === true) {
      expect(line).toBe(`TypeError: boom 1 (${file})`);
    }
  });

  it('shows a TypeScript syntax error with its problem and location, not "Transform failed"', async () => {
    const file = write('broken.ts', 'export const a: number = ;\n');
    const error = await tsImport(pathToFileURL(file).href, import.meta.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message.split('\n')[0]).toBe('Transform failed with 1 error:');
    expect(summarizeError(error)).toBe(`SyntaxError: Unexpected ";" (${file}:1:25)`);
  });

  it('keeps one line of a multi-line message, and generalises numbers when asked', () => {
    expect(summarizeError(new Error('first\n  at second'))).toMatch(/^Error: first( \(|$)/);
    expect(summarizeError('order 17 has no amount', { generalize: true })).toBe(
      'order N has no amount',
    );
    expect(summarizeError({ code: 42 })).toBe('{"code":42}');
  });
});

describe('the log sink', () => {
  it('files every record and shows each distinct one as one line with a count', () => {
    const sink = createLogSink(join(dir, 'run.log'));
    const seen: string[] = [];
    sink.onNewLine = (line) => seen.push(line);
    const crash = {
      level: 50,
      msg: 'handleMessage failed',
      messageId: 1,
      err: {
        type: 'TypeError',
        message: 'boom',
        stack: 'TypeError: boom\n    at h (/app/handlers.ts:3:9)',
      },
    };
    for (let i = 0; i < 40; i++) {
      sink.stream.write(`${JSON.stringify({ ...crash, messageId: i })}\n`);
    }
    sink.stream.write(`${JSON.stringify({ level: 40, msg: 'slow ack' })}\n`);
    expect(seen).toEqual([
      'error handleMessage failed: TypeError: boom (/app/handlers.ts:3:9)',
      'warn slow ack',
    ]);
    expect(sink.lines()).toEqual([
      { line: 'error handleMessage failed: TypeError: boom (/app/handlers.ts:3:9)', count: 40 },
      { line: 'warn slow ack', count: 1 },
    ]);
    expect(readFileSync(sink.file, 'utf8').trim().split('\n')).toHaveLength(41);
    expect(summarizeRecord({ level: 30, msg: 'hello' })).toBe('info hello');
  });
});
