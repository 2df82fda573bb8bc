/**
 * Fault injection against NATS JetStream (`npm run test:faults`): the
 * scenarios of stream-scenarios.ts on a private nats-server (port 14222,
 * JetStream's file store in the test's own folder, so a restart keeps the
 * stream, the durable consumer and its un-acked deliveries). The consumer's
 * ack wait is 2 s, so what a killed process held comes back soon.
 */
import { NatsJsAdmin } from '@sluice/producers/nats';
import { createTestStream } from '@sluice/producers/nats/testing';
import { streamFaultScenarios } from './stream-scenarios.ts';

streamFaultScenarios({
  kind: 'nats',
  async create(url) {
    const admin = await NatsJsAdmin.connect([url]);
    const s = await createTestStream({ admin, ackWaitMs: 2000 });
    return {
      name: s.stream,
      add: (from, count) => s.publish(count, { body: (i) => `message-${from + i}` }),
      inFlight: async () => (await s.counts()).ackPending,
      delete: async () => {
        await s.delete();
        await admin.close();
      },
    };
  },
});
