import { describe, expect, it } from 'vitest';
import { Flusher } from '../../src/nats/flusher.ts';

/** A flush the test answers by hand. */
function manualFlush() {
  const answers: ((error?: Error) => void)[] = [];
  const flush = () =>
    new Promise<void>((resolve, reject) =>
      answers.push((error) => (error === undefined ? resolve() : reject(error))),
    );
  return { answers, flush };
}

describe('Flusher', () => {
  it('sends one flush at a time; calls made meanwhile share the next, sent after the first returns', async () => {
    const { answers, flush } = manualFlush();
    const f = new Flusher(flush);
    const first = f.flush();
    const second = f.flush();
    const third = f.flush();
    expect(answers).toHaveLength(1);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    answers[0]!();
    await first;
    await expect.poll(() => answers.length).toBe(2);
    // The second call's writes may have come after the first flush was sent.
    expect(secondDone).toBe(false);
    answers[1]!();
    await Promise.all([second, third]);
    expect(answers).toHaveLength(2);
  });

  it('rejects the calls a failed flush covered, and flushes again for the next', async () => {
    const { answers, flush } = manualFlush();
    const f = new Flusher(flush);
    const first = f.flush();
    const waiting = f.flush();
    answers[0]!(new Error('closed'));
    await expect(first).rejects.toThrow('closed');
    await expect.poll(() => answers.length).toBe(2);
    answers[1]!();
    await expect(waiting).resolves.toBeUndefined();
    const later = f.flush();
    expect(answers).toHaveLength(3);
    answers[2]!();
    await later;
  });
});
