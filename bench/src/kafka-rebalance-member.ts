/**
 * One member of the rebalance scenario (kafka-rebalance-scenario.ts): a
 * Sluice pipeline in a consumer group, in its own process so it can be
 * SIGKILLed. Usage:
 *   node kafka-rebalance-member.js <topic> <groupId> <client> <groupProtocol>
 * with KAFKA_BROKERS set. Prints "ready" once started, then
 * "h <partition> <offset> <ms since epoch>" for every message it handled,
 * written synchronously before the handler returns (so before its ack and
 * any commit covering it: a SIGKILL cannot lose the line of a committed
 * message). SIGTERM drains, commits, leaves the group and prints "stopped".
 */
import { writeSync } from 'node:fs';
import { createPipeline, silentLogger, stopOnSignals } from '@sluice/core';
import { kafkaProducer, type KafkaProducerOptions } from '@sluice/producers/kafka';

/** The member's Kafka settings, also the scenario's duplicate bound. */
export const MEMBER = {
  sessionTimeout: 6_000,
  heartbeatInterval: 500,
  rebalanceTimeout: 6_000,
  revokeTimeout: 2_000,
  commitInterval: 500,
  maxBufferedPerPartition: 50,
  concurrency: 4,
} as const;

async function main(): Promise<void> {
  const [topic, groupId, client, groupProtocol] = process.argv.slice(2);
  if (topic === undefined || groupId === undefined) {
    throw new Error('usage: kafka-rebalance-member.js <topic> <groupId> <client> <groupProtocol>');
  }
  const pipeline = createPipeline({
    name: 'rebalance-member',
    logger: silentLogger,
    shutdownTimeout: 10_000,
    producer: {
      module: kafkaProducer({
        client: client as 'kafkajs' | 'platformatic',
        groupProtocol: (groupProtocol ?? 'auto') as KafkaProducerOptions['groupProtocol'],
        groupId,
        topics: [topic],
        fromBeginning: true,
        sessionTimeout: MEMBER.sessionTimeout,
        heartbeatInterval: MEMBER.heartbeatInterval,
        rebalanceTimeout: MEMBER.rebalanceTimeout,
        revokeTimeout: MEMBER.revokeTimeout,
        commitInterval: MEMBER.commitInterval,
        maxBufferedPerPartition: MEMBER.maxBufferedPerPartition,
        fetch: { maxWaitTimeInMs: 100 },
      }),
    },
    processors: { default: { concurrency: MEMBER.concurrency } },
    async handleMessage(_p, m) {
      await new Promise((r) => setTimeout(r, 2));
      const meta = m.metadata as { partition: number; offset: string };
      writeSync(1, `h ${meta.partition} ${meta.offset} ${Date.now()}\n`);
      return m;
    },
  });
  await pipeline.start();
  writeSync(1, 'ready\n');
  stopOnSignals(pipeline, {
    onStopped: () => {
      writeSync(1, 'stopped\n');
      process.exit(0);
    },
  });
}

// Only as a process: the scenario imports MEMBER from here.
if (process.argv[1]?.endsWith('kafka-rebalance-member.js')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
