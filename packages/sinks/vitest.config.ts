import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source'] } },
  test: {
    name: 'sinks',
    include: ['test/**/*.test.ts'],
  },
});
