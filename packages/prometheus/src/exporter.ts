/**
 * `prometheusExporter`: subscribes to Sluice's diagnostics channels and
 * keeps prom-client metrics from their events. Nothing is computed unless
 * it is created; `close()` unsubscribes. Label children are cached, so an
 * event costs a map lookup and an increment.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  pipelineChannels,
  type AckErrorEvent,
  type AckEvent,
  type BacklogEvent,
  type BatchProcessorStartEvent,
  type BatchProcessorStopEvent,
  type BatcherStartEvent,
  type MessageStopEvent,
  type ProcessorStartEvent,
  type ProducerErrorEvent,
  type RateLimitEvent,
  type TopologyInitEvent,
  type Topology,
} from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import { Registry } from 'prom-client';
import {
  brokerChannels,
  queueName,
  type KafkaTopicEvent,
  type RabbitMqDeadLetterEvent,
  type RabbitMqRetryEvent,
  type SqsCountEvent,
} from './broker-channels.ts';
import { createMetrics, type SluiceMetrics } from './metrics.ts';
import { exporterOptionsSchema, type PrometheusExporterOptions } from './options.ts';

/** A running exporter. */
export interface PrometheusExporter {
  /** The registry holding the metrics: serve it with `servePrometheus`, or merge it into yours. */
  readonly registry: Registry;
  /** Stops listening to the channels; the metrics keep their last values. */
  close(): void;
}

/**
 * Starts keeping Prometheus metrics for every pipeline in this process.
 * Throws `ERR_INVALID_OPTIONS` for bad options. docs/prometheus.md lists
 * the metrics.
 *
 * @example
 * ```ts
 * const exporter = prometheusExporter();
 * const server = await servePrometheus({ registry: exporter.registry, port: 9464 });
 * ```
 */
export function prometheusExporter(options: PrometheusExporterOptions = {}): PrometheusExporter {
  const o = parseOptions(exporterOptionsSchema, options, 'prometheusExporter options');
  const registry = o.registry ?? new Registry();
  const m = createMetrics(registry, o.prefix, o.durationBuckets);
  const listeners = listenersFor(m);
  for (const [name, listener] of listeners) diagnostics.subscribe(name, listener);
  let open = true;
  return {
    registry,
    close() {
      if (!open) return;
      open = false;
      for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    },
  };
}

type Listener = (payload: unknown) => void;

/**
 * Caches the labelled child of a metric per label values. Per-message
 * events hit it with the same interned strings again and again: the last
 * child is kept beside the map, and the map is two levels deep, so a hit
 * builds no key string.
 */
function children<T>(make: (a: string, b: string) => T): (a: string, b?: string) => T {
  const cache = new Map<string, Map<string, T>>();
  let lastA: string | undefined;
  let lastB: string | undefined;
  let last: T | undefined;
  return (a, b = '') => {
    if (a === lastA && b === lastB) return last as T;
    let byB = cache.get(a);
    if (byB === undefined) {
      byB = new Map();
      cache.set(a, byB);
    }
    let child = byB.get(b);
    if (child === undefined) {
      child = make(a, b);
      byB.set(b, child);
    }
    lastA = a;
    lastB = b;
    last = child;
    return child;
  };
}

/** The channel → metric mapping; exported for its unit tests. */
export function listenersFor(m: SluiceMetrics): [string, Listener][] {
  const received = children((p, proc) => m.received.labels(p, proc));
  const acked = children((p, outcome) => m.acked.labels(p, outcome));
  const handler = children((p, proc) => m.handlerDuration.labels(p, proc));
  const batchDuration = children((p, b) => m.batchDuration.labels(p, b));
  const batchFill = children((p, b) => m.batchFill.labels(p, b));
  const inFlight = children((p) => m.inFlight.labels(p));
  const buffered = children((p, b) => m.buffered.labels(p, b));
  const retried = children((b, d) => m.retried.labels(b, d));
  const deadLettered = children((b, d) => m.deadLettered.labels(b, d));
  /** batchSize per pipeline and batcher, from the topology; absent when custom. */
  const batchSizes = new Map<string, number>();
  /** Kafka reports lag per partition: the gauge is their sum per topic. */
  const partitions = new Map<string, Map<number, number>>();

  const onMessageStop: Listener = (e) => {
    const { pipeline, processor, durationMs } = e as MessageStopEvent;
    handler(pipeline, processor).observe(durationMs / 1000);
  };
  const c = pipelineChannels;
  return [
    [
      c.topologyInit,
      (e) => {
        const { pipeline, topology } = e as TopologyInitEvent & { topology: Topology };
        for (const p of topology.processors) received(pipeline, p.processorKey).inc(0);
        acked(pipeline, 'successful').inc(0);
        acked(pipeline, 'failed').inc(0);
        inFlight(pipeline).set(0);
        for (const b of topology.batchers) {
          buffered(pipeline, b.batcherKey).set(0);
          const key = `${pipeline}\0${b.batcherKey}`;
          if (typeof b.batchSize === 'number') batchSizes.set(key, b.batchSize);
          else batchSizes.delete(key);
        }
      },
    ],
    [
      c.processorStart,
      (e) => {
        const { pipeline, processor, messages } = e as ProcessorStartEvent;
        received(pipeline, processor).inc(messages.length);
        inFlight(pipeline).inc(messages.length);
      },
    ],
    [
      c.ack,
      (e) => {
        const { pipeline, successful, failed } = e as AckEvent;
        if (successful.length > 0) acked(pipeline, 'successful').inc(successful.length);
        if (failed.length > 0) acked(pipeline, 'failed').inc(failed.length);
        inFlight(pipeline).dec(successful.length + failed.length);
      },
    ],
    [c.messageStop, onMessageStop],
    [c.messageException, onMessageStop],
    [
      c.batcherStart,
      (e) => {
        const { pipeline, batcher, messages } = e as BatcherStartEvent;
        buffered(pipeline, batcher).inc(messages.length);
      },
    ],
    [
      c.batchProcessorStart,
      (e) => {
        const { pipeline, batcher, messages } = e as BatchProcessorStartEvent;
        buffered(pipeline, batcher).dec(messages.length);
      },
    ],
    [
      c.batchProcessorStop,
      (e) => {
        const { pipeline, batcher, durationMs, batchInfo } = e as BatchProcessorStopEvent;
        batchDuration(pipeline, batcher).observe(durationMs / 1000);
        const size = batchSizes.get(`${pipeline}\0${batcher}`);
        if (size !== undefined) batchFill(pipeline, batcher).observe(batchInfo.size / size);
      },
    ],
    [c.ackError, (e) => m.ackErrors.labels((e as AckErrorEvent).pipeline).inc()],
    [
      c.rateLimit,
      (e) => {
        const { pipeline, state } = e as RateLimitEvent;
        if (state === 'closed') m.rateLimitWaits.labels(pipeline).inc();
      },
    ],
    [
      c.producerError,
      (e) => {
        const { pipeline, kind, count } = e as ProducerErrorEvent;
        m.producerErrors.labels(pipeline, kind).inc(count);
      },
    ],
    [
      c.backlog,
      (e) => {
        const s = e as BacklogEvent;
        const labels = [s.pipeline, s.broker, s.destination] as const;
        let waiting = s.waiting;
        if (s.partition !== undefined) {
          const key = labels.join('\0');
          const byPartition = partitions.get(key) ?? new Map<number, number>();
          partitions.set(key, byPartition.set(s.partition, s.waiting));
          waiting = 0;
          for (const v of byPartition.values()) waiting += v;
        }
        m.backlog.labels(...labels).set(waiting);
        if (s.inFlight !== undefined) m.backlogInFlight.labels(...labels).set(s.inFlight);
      },
    ],
    [
      brokerChannels.sqsVisibility,
      (e) => {
        const { queueUrl, count, reason } = e as SqsCountEvent;
        if (reason === 'retry' && count > 0) retried('sqs', queueName(queueUrl)).inc(count);
      },
    ],
    [
      brokerChannels.sqsDeadLetter,
      (e) => {
        const { queueUrl, count } = e as SqsCountEvent;
        if (count > 0) deadLettered('sqs', queueName(queueUrl)).inc(count);
      },
    ],
    [
      brokerChannels.rabbitmqRetry,
      (e) => retried('rabbitmq', (e as RabbitMqRetryEvent).queue).inc(),
    ],
    [
      brokerChannels.rabbitmqDeadLetter,
      (e) => {
        const { queue, count, error } = e as RabbitMqDeadLetterEvent;
        if (error === undefined && count > 0) deadLettered('rabbitmq', queue).inc(count);
      },
    ],
    [brokerChannels.kafkaRetry, (e) => retried('kafka', (e as KafkaTopicEvent).topic).inc()],
    [
      brokerChannels.kafkaDlq,
      (e) => {
        const { topic, error } = e as KafkaTopicEvent;
        if (error === undefined) deadLettered('kafka', topic).inc();
      },
    ],
  ];
}
