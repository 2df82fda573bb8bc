import { SluiceError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { loadLibrary } from '../../src/internal/load-library.ts';

describe('loadLibrary', () => {
  it('returns an installed library', () => {
    const zod = loadLibrary<{ z: unknown }>('zod', '^4', 'test');
    expect(zod.z).toBeDefined();
  });

  it('names the missing package and the command that installs it', () => {
    let thrown: unknown;
    try {
      loadLibrary('@sluice/no-such-library', '^1.2.0', 'Example');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SluiceError);
    expect(thrown).toMatchObject({
      code: 'ERR_MISSING_LIBRARY',
      message:
        'the Example producer needs the @sluice/no-such-library package, which is not installed: ' +
        'run `npm install @sluice/no-such-library@^1.2.0`',
    });
  });
});
