/**
 * A pipeline whose one batcher writes through a sink, for the broker sink
 * tests, and a subscriber of the outgoing channel that hands each message
 * a `traceparent` of its own, as `@sluice/otel` does.
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, type Pipeline } from '@sluice/core';
import { testProducer } from '@sluice/testing';
import { sinkHandler, type Sink } from '../src/index.ts';
import { OUTGOING_CHANNEL } from '../src/internal/outgoing.ts';

/** A started pipeline writing batches of exactly `batchSize` through `sink`. */
export async function sinkPipeline(sink: Sink, batchSize: number): Promise<Pipeline> {
  const pipeline = createPipeline({
    name: `sink-${sink.name}`,
    producer: { module: testProducer() },
    processors: { default: {} },
    // A batch goes out when full: each test pushes whole batches, so what is
    // in a batch never depends on timing.
    batchers: { out: { batchSize, batchTimeout: 60_000 } },
    handleMessage: (_p, m) => {
      traced.set(m.ackData as object, m.data as { id: number });
      return m.putBatcher('out');
    },
    handleBatch: sinkHandler(sink),
  });
  await pipeline.start();
  return pipeline;
}

const traced = new WeakMap<object, { id: number }>();

/** The traceparent the subscriber gives message `id`. */
export const traceparentOf = (id: number): string =>
  `00-${id.toString(16).padStart(32, '0')}-${'1'.repeat(16)}-01`;

/** Subscribes, as a tracer would; returns the unsubscribe. */
export function traceOutgoing(): () => void {
  const listener = (event: unknown): void => {
    const e = event as { source: object; headers: Record<string, string> };
    const data = traced.get(e.source);
    if (data !== undefined) e.headers['traceparent'] = traceparentOf(data.id);
  };
  diagnostics.subscribe(OUTGOING_CHANNEL, listener);
  return () => diagnostics.unsubscribe(OUTGOING_CHANNEL, listener);
}

/** A published test message's body, parsed. */
export const json = (text: string): { id: number } & Record<string, unknown> =>
  JSON.parse(text) as { id: number } & Record<string, unknown>;
