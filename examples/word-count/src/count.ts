/**
 * The word count, with Flow: lines are split into words in one stage, each
 * word is routed to the partition that owns it, and each partition counts
 * its own words. The partial counts never overlap, so merging them is a
 * plain union.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Flow } from '@sluice/core/flow';

const WORD = /\S+/g;

function* wordsOf(line: string): Generator<string> {
  for (const match of line.matchAll(WORD)) yield match[0];
}

/** Counts the words of the file at `path` with `stages` partitions. */
export async function countWithFlow(path: string, stages: number): Promise<Map<string, number>> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const partials = await Flow.fromIterable(lines)
    .flatMap(wordsOf)
    .partition({ stages })
    .reduce(
      () => new Map<string, number>(),
      (word, counts) => counts.set(word, (counts.get(word) ?? 0) + 1),
    )
    .emit('state')
    .toArray();
  const total = new Map<string, number>();
  for (const partial of partials) for (const [word, n] of partial) total.set(word, n);
  return total;
}

/** The reference: one synchronous loop over the whole file. */
export function countWithLoop(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of readFileSync(path, 'utf8').matchAll(WORD)) {
    const word = match[0];
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}
