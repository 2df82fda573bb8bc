/**
 * A pipeline writing through a broker sink while the broker restarts, or
 * freezes during a write: the
 * sink fault scenarios (sinks.faults.test.ts). Messages are pushed as a
 * producer would deliver them; what the pipeline fails is pushed again, as
 * a producer redelivers it, until everything is acked. The restart starts
 * when the pipeline reaches batch `restartAtBatch`, which is held until the
 * broker has stopped listening, so writes go to a broker that is down and
 * coming back.
 */
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createPipeline, type Message } from '@sluice/core';
import { sinkHandler, type Sink } from '@sluice/sinks';
import { testBatch, testProducer } from '@sluice/testing';

/** What {@link writeThroughRestart} saw. */
export interface SinkRun {
  /** Ids acked, across rounds (each once: a message is acked once). */
  readonly acked: number[];
  /** Ids failed in some round (and pushed again). */
  readonly failed: Set<number>;
  /** Rounds of delivery it took (1 when nothing failed). */
  readonly rounds: number;
  /** Milliseconds the restart (or the freeze) took. */
  readonly restartMs: number;
}

/** Resolves once nothing accepts TCP connections on 127.0.0.1:`port`. */
async function closed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/**
 * Writes ids 0…`total - 1` (as `{ id }`) through `sink` in batches of
 * `batchSize`, restarting `broker` (listening on `port`) at batch
 * `restartAtBatch`, and redelivering what failed until all is acked (at most
 * `maxRounds` rounds).
 */
export async function writeThroughRestart(options: {
  sink: Sink;
  /** A private broker: a Kafka, an ElasticMQ, a RabbitMQ node. */
  broker: { restart(): Promise<void>; freeze?(): void; thaw?(): void };
  /**
   * `'restart'` (default): the broker restarts at batch `restartAtBatch`.
   * `'freeze'`: it is frozen (SIGSTOP) for that batch's write, so the
   * write is in flight, unanswered, until the client gives up; then thawed.
   */
  outage?: 'restart' | 'freeze';
  port: number;
  total: number;
  batchSize: number;
  restartAtBatch: number;
  maxRounds?: number;
}): Promise<SinkRun> {
  const { sink, broker, port, total, batchSize, restartAtBatch } = options;
  const write = sinkHandler(sink);
  let batches = 0;
  let restarting: Promise<number> | undefined;
  const pipeline = createPipeline({
    name: `sink-fault-${randomUUID()}`,
    producer: { module: testProducer() },
    processors: { default: {} },
    batchers: { out: { batchSize, batchTimeout: 50 } },
    handleMessage: (_p, m) => m.putBatcher('out'),
    handleBatch: async (batcher, messages, info, context, signal) => {
      batches += 1;
      if (batches === restartAtBatch && options.outage === 'freeze') {
        const startedAt = performance.now();
        broker.freeze?.();
        try {
          return await write(batcher, messages, info, context, signal);
        } finally {
          broker.thaw?.();
          restarting = Promise.resolve(performance.now() - startedAt);
        }
      }
      if (batches === restartAtBatch) {
        const startedAt = performance.now();
        restarting = broker.restart().then(() => performance.now() - startedAt);
        const until = Date.now() + 60_000;
        while (!(await closed(port))) {
          if (Date.now() > until) throw new Error(`the broker on port ${port} did not stop`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      return write(batcher, messages, info, context, signal);
    },
  });
  await pipeline.start();
  try {
    const acked: number[] = [];
    const failed = new Set<number>();
    let pending = Array.from({ length: total }, (_, id) => ({ id }));
    let rounds = 0;
    while (pending.length > 0) {
      if (rounds === (options.maxRounds ?? 6)) {
        throw new Error(`${pending.length} messages still failing after ${rounds} rounds`);
      }
      rounds += 1;
      const result = await testBatch(pipeline, pending);
      acked.push(...result.successful.map((m: Message<{ id: number }>) => m.data.id));
      for (const m of result.failed) failed.add(m.data.id);
      pending = result.failed.map((m) => m.data);
      // Redeliver once the broker is back, as a consumer would see it again.
      if (pending.length > 0 && restarting !== undefined) await restarting;
    }
    const restartMs = restarting === undefined ? Number.NaN : await restarting;
    return { acked, failed, rounds, restartMs };
  } finally {
    await pipeline.stop();
  }
}

/** Ids seen more than once in `written`, and ids of 0…`total - 1` never seen. */
export function audit(
  total: number,
  written: readonly number[],
): { lost: number[]; duplicates: number[] } {
  const seen = new Map<number, number>();
  for (const id of written) seen.set(id, (seen.get(id) ?? 0) + 1);
  const lost = Array.from({ length: total }, (_, id) => id).filter((id) => !seen.has(id));
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { lost, duplicates };
}
