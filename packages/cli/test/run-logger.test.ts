/**
 * sluice run's logger flushes its destination synchronously before the
 * process exits: pino's asynchronous destination's `flush()` only starts a
 * write, which `process.exit` can cut short (the run's summary, its last
 * line, was lost that way on a loaded machine).
 */
import { describe, expect, it, vi } from 'vitest';
import { runLogger } from '../src/commands/run-logger.ts';

function target(flushSync: () => void) {
  const lines: string[] = [];
  return {
    lines,
    write: (l: string) => lines.push(l),
    flush: vi.fn(),
    flushSync: vi.fn(flushSync),
  };
}

describe('runLogger flush', () => {
  it('flushes the destination synchronously when it can', () => {
    const t = target(() => undefined);
    const { logger } = runLogger('info', t);
    logger.info('summary');
    logger.flush();
    expect(t.flushSync).toHaveBeenCalledTimes(1);
    expect(t.flush).not.toHaveBeenCalled();
    expect(t.lines.join('')).toContain('"msg":"summary"');
  });

  it('falls back to the asynchronous flush when the destination is not open yet', () => {
    const t = target(() => {
      throw new Error('sonic boom is not ready yet');
    });
    const { logger } = runLogger('info', t);
    logger.flush();
    expect(t.flushSync).toHaveBeenCalledTimes(1);
    expect(t.flush).toHaveBeenCalledTimes(1);
  });
});
