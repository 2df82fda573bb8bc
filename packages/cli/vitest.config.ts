import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source'] } },
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    // Tests that check logs pass their own logger; the default one stays quiet.
    env: { SLUICE_LOG_LEVEL: 'silent' },
  },
});
