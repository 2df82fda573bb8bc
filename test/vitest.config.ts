import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'packaging',
    include: ['**/*.test.ts'],
    // Each file installs packages with npm: slow, but bounded.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
