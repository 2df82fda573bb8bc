import { describe, expect, it } from 'vitest';
import { interpolate } from '../src/config/interpolate.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@sluice/core';
import { LineProgress } from '../src/producers/file-producer.ts';
import { sink } from '../src/sinks.ts';

describe('interpolate', () => {
  it('replaces ${VAR} and ${VAR:-default}', () => {
    const { value, missing } = interpolate(
      { a: 'x-${A}-y', b: '${B:-fallback}', c: ['${A}'] },
      { A: 'one' },
    );
    expect(value).toEqual({ a: 'x-one-y', b: 'fallback', c: ['one'] });
    expect(missing).toEqual([]);
  });

  it('gives a value that is one ${VAR} the type it would have in YAML', () => {
    const { value } = interpolate({ n: '${N:-100}', f: '${F}', s: 'n=${N:-1}' }, { F: 'true' });
    expect(value).toEqual({ n: 100, f: true, s: 'n=1' });
  });

  it('reports every missing variable with where it was used', () => {
    const { missing } = interpolate({ producer: { url: '${URL}', key: '${KEY}' } }, {});
    expect(missing).toEqual([
      { name: 'URL', path: ['producer', 'url'] },
      { name: 'KEY', path: ['producer', 'key'] },
    ]);
  });

  it('treats an empty variable as unset and keeps $${ literal', () => {
    const { value } = interpolate({ a: '${E:-d}', b: 'cost $${X}' }, { E: '' });
    expect(value).toEqual({ a: 'd', b: 'cost ${X}' });
  });

  it('remembers which values came from the environment', () => {
    expect([...interpolate({ a: '${S}' }, { S: 's3cr3t' }).fromEnvironment]).toEqual(['s3cr3t']);
  });
});

describe('interpolate sources', () => {
  it('says which variables went into the value at each path', () => {
    const { sources } = interpolate(
      { a: { b: 'x-${A}-${B}', c: '${N}' }, d: '${D:-dflt}' },
      { A: 'one', B: 'two', N: '5' },
    );
    expect(sources(['a', 'b'])).toEqual([
      { name: 'A', value: 'one' },
      { name: 'B', value: 'two' },
    ]);
    expect(sources(['a', 'c'])).toEqual([{ name: 'N', value: '5' }]);
    expect(sources(['d'])).toBeUndefined();
  });
});

describe('LineProgress', () => {
  it('moves the checkpoint only over a contiguous prefix of done lines', () => {
    const p = new LineProgress(0);
    expect(p.mark(2)).toBe(false);
    expect(p.done).toBe(0);
    expect(p.mark(1)).toBe(true);
    expect(p.done).toBe(2);
    expect(p.mark(4)).toBe(false);
    expect(p.mark(3)).toBe(true);
    expect(p.done).toBe(4);
    expect(p.mark(3)).toBe(false);
  });

  it('starts from a saved checkpoint', () => {
    const p = new LineProgress(10);
    expect(p.mark(5)).toBe(false);
    expect(p.mark(11)).toBe(true);
    expect(p.done).toBe(11);
  });
});

describe('the file sink', () => {
  it('writes one JSON line per message, bytes as UTF-8 text or else base64', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-sink-')), 'out.jsonl');
    const data = [{ id: 1 }, 'plain', Buffer.from('{"id":2}'), new Uint8Array([0xff, 0xfe])];
    const messages = data.map((d) => ({ data: d }) as unknown as Message);
    const handled = await sink({ type: 'file', path })(
      'default',
      messages,
      {} as never,
      undefined,
      new AbortController().signal,
    );
    // Every message written, so the batch's own messages come back (as a new array), in order.
    expect(handled).toHaveLength(messages.length);
    handled?.forEach((m, i) => expect(m).toBe(messages[i]));
    expect(readFileSync(path, 'utf8').split('\n')).toEqual([
      '{"id":1}',
      '"plain"',
      '"{\\"id\\":2}"',
      '{"base64":"//4="}',
      '',
    ]);
  });
});
