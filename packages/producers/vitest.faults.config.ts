import { defineProject } from 'vitest/config';

// `npm run test:faults`: fault injection against brokers of the tests' own
// (test/faults/). Apart from `npm test`: they freeze and restart brokers and
// take longer. Their consumer fixtures run on the built packages.
export default defineProject({
  root: import.meta.dirname,
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source'] } },
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
