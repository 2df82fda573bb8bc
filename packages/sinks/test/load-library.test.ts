import { describe, expect, it } from 'vitest';
import { loadLibrary } from '../src/internal/load-library.ts';

describe('loadLibrary (core libraryLoader, from the sinks package)', () => {
  it('resolves a peer dependency installed for the sinks', () => {
    const pg = loadLibrary<{ Pool: unknown }>('pg', '^8.16.0', 'postgres');
    expect(pg.Pool).toBeDefined();
  });

  it('names the sink, the missing package and the command that installs it', () => {
    expect(() => loadLibrary('@sluice/no-such-library', '^1.2.0', 'Example')).toThrow(
      expect.objectContaining({
        code: 'ERR_MISSING_LIBRARY',
        message:
          'the Example sink needs the @sluice/no-such-library package, which is not installed: ' +
          'run `npm install @sluice/no-such-library@^1.2.0`',
      }),
    );
  });
});
