import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source'] } },
  test: {
    name: 'testing',
    include: ['test/**/*.test.ts'],
    // The AWS SDK warns once per process that it will need Node 22 from 2027.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
