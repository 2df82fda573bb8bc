import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source'] } },
  test: {
    name: 'producers',
    include: ['test/**/*.test.ts'],
    // Fault injection runs on its own: npm run test:faults (vitest.faults.config.ts).
    exclude: ['test/faults/**', '**/node_modules/**'],
    // The AWS SDK warns once per process that it will need Node 22 from 2027.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
