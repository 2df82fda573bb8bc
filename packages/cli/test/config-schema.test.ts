/** What the pipeline file's schema fills in, and what a broker producer is given. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processorSchema } from '@sluice/core/options';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-schema-'));
const load = (text: string, env: Record<string, string> = {}) => {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return loadConfig(file, env);
};

describe('the pipeline file schema', () => {
  it('fills in a file producer’s format and checkpoint, and one processor group', () => {
    const { config } = load('name: p\nproducer: { type: file, path: in.txt }\n');
    expect(config.producer).toMatchObject({
      type: 'file',
      path: 'in.txt',
      format: 'lines',
      checkpoint: 'in.txt.offset',
    });
    // One group, with core's own defaults for a processor (concurrency from the CPU count).
    expect(config.processors).toEqual({ default: processorSchema.parse({}) });
    expect(config.batchers).toBeUndefined();
  });

  it('adds a default batcher for a sink when the file names none', () => {
    const { config } = load('name: p\nproducer: { type: stdin }\nsink: { type: stdout }\n');
    expect(config.batchers).toEqual({ default: {} });
  });

  it('rejects a rate that is not finite', () => {
    expect(() => load('name: p\nproducer: { type: generator, rate: .inf }\n')).toThrow(
      /producer\.rate: expected a positive number/,
    );
  });

  it('keeps a broker producer’s section as written, variables resolved, for its factory', () => {
    const loaded = load(
      'name: p\nproducer:\n  type: kafka\n  concurrency: 2\n  groupId: g\n  topics: [t]\n  brokers: ["${BROKER}"]\n',
      { BROKER: 'kafka.internal:9092' },
    );
    expect(loaded.input['producer']).toEqual({
      type: 'kafka',
      concurrency: 2,
      groupId: 'g',
      topics: ['t'],
      brokers: ['kafka.internal:9092'],
    });
  });
});
