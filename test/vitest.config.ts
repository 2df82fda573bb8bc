import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'packaging',
    include: ['**/*.test.ts'],
    // Each file installs packages with npm: about 1-3 min, bounded at 7 (a
    // command is killed after 5), for a loaded machine running all projects.
    testTimeout: 420_000,
    hookTimeout: 420_000,
  },
});
