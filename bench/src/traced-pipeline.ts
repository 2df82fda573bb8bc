/**
 * What the two telemetry benches (`bench:otel`, `bench:telemetry`) share:
 * the pipeline they instrument, and an exporter and a metric reader that
 * do nothing, so the cost measured is Sluice's and the SDK's, never an
 * exporter's.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPipeline, generatorProducer, silentLogger, type Message } from '@sluice/core';

/** The W3C trace context every message carries, so spans link to a parent. */
export const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Drops every span. */
export const dropAll: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

/** A metric reader that never collects: instruments record, nothing exports. */
export class IdleReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * One run of `n` messages through the benches' pipeline (a generator whose
 * messages carry {@link TRACEPARENT}, two processors, one batcher of 100,
 * handlers that return at once); resolves once all are acked and the
 * pipeline has stopped.
 */
export async function runTracedPipeline(name: string, n: number): Promise<void> {
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const pipeline = createPipeline({
    name,
    logger: silentLogger,
    producer: {
      module: generatorProducer({
        count: n,
        onAck: (s, f) => {
          acked += s + f;
          if (acked === n) done();
        },
      }),
      transformer: (event) => {
        const message = event as Message<{ n: number }>;
        message.metadata = { headers: { traceparent: TRACEPARENT } };
        return message;
      },
    },
    processors: { default: { concurrency: 2 } },
    batchers: { default: { batchSize: 100, batchTimeout: 10 } },
    handleMessage: (_p, m) => m,
    handleBatch: (_b, messages) => messages,
  });
  await pipeline.start();
  await finished;
  await pipeline.stop();
}
