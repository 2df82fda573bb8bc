/**
 * A large, deterministic text to count: lines of words drawn from a small
 * vocabulary with a skewed (Zipf-like) distribution, as real text has.
 * The package exports it for the Flow benchmark (npm run bench:flow).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const VOCABULARY = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'stream stage demand flow partition window batch queue ack message producer consumer pipeline broker offset'
).split(' ');

/** A small, fast, seeded PRNG (mulberry32), so every run writes the same text. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes about `bytes` of text to `path`. */
export async function writeText(path: string, bytes: number, seed = 1): Promise<void> {
  const next = random(seed);
  const out = createWriteStream(path);
  let written = 0;
  while (written < bytes) {
    const words: string[] = [];
    const count = 6 + Math.floor(next() * 10);
    for (let i = 0; i < count; i++) {
      // Squaring skews towards the first words: a few are very common.
      words.push(VOCABULARY[Math.floor(next() ** 2 * VOCABULARY.length)] as string);
    }
    const line = `${words.join(' ')}\n`;
    written += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
