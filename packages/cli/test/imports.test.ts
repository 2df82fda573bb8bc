/**
 * The CLI's module graph: no import cycles (validate.ts and topology.ts
 * once imported each other), and no wire library loaded to read, check or
 * describe a pipeline file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** Static imports (not `import type`, not dynamic `import()`) of a file. */
const staticImports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*?from '([^']+)';/gms)].map(
    (m) => m[1]!,
  );

describe('the CLI source', () => {
  it('has no import cycles', () => {
    const graph = new Map(
      sources(SRC).map((f) => [
        f,
        staticImports(f)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolve(dirname(f), s)),
      ]),
    );
    const cycles: string[] = [];
    const visit = (file: string, stack: string[]): void => {
      if (stack.includes(file)) {
        cycles.push(
          [...stack.slice(stack.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '),
        );
        return;
      }
      for (const next of graph.get(file) ?? []) visit(next, [...stack, file]);
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('imports a broker producer only by its /options subpath, statically', () => {
    const offenders = sources(SRC).flatMap((f) =>
      staticImports(f)
        .filter((s) => /^@sluice\/producers\/(sqs|kafka|rabbitmq|redis|nats)$/.test(s))
        .map((s) => `${relative(SRC, f)}: ${s}`),
    );
    expect(
      offenders,
      'import the factory with a dynamic import() where the producer is built',
    ).toEqual([]);
  });
});
