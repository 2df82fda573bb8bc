/**
 * Fault injection against Redis Streams (`npm run test:faults`): the
 * scenarios of stream-scenarios.ts on a private redis-server (port 16379,
 * append-only file fsynced on every write, so a restart keeps the stream,
 * the group and its pending entries).
 */
import { createTestStream } from '@sluice/producers/redis/testing';
import { streamFaultScenarios } from './stream-scenarios.ts';

streamFaultScenarios({
  kind: 'redis',
  async create(url) {
    const s = await createTestStream({ url });
    return {
      name: s.stream,
      add: async (from, count) => {
        await s.add(Array.from({ length: count }, (_, i) => ({ body: `message-${from + i}` })));
      },
      inFlight: () => s.pending(),
      delete: () => s.delete(),
    };
  },
});
