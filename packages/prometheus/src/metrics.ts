/**
 * Every metric the exporter registers: its name, help text, type and
 * labels, here and nowhere else. docs/prometheus.md lists them. Names
 * follow Prometheus' conventions: base units (seconds), `_total` on
 * counters, a ratio without a unit.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { FastHistogram } from './histogram.ts';

/** The metrics of one exporter. */
export interface SluiceMetrics {
  readonly received: Counter<'pipeline' | 'processor'>;
  readonly acked: Counter<'pipeline' | 'outcome'>;
  readonly retried: Counter<'broker' | 'destination'>;
  readonly deadLettered: Counter<'broker' | 'destination'>;
  readonly handlerDuration: FastHistogram<'pipeline' | 'processor'>;
  readonly batchDuration: FastHistogram<'pipeline' | 'batcher'>;
  readonly batchFill: FastHistogram<'pipeline' | 'batcher'>;
  readonly inFlight: Gauge<'pipeline'>;
  readonly buffered: Gauge<'pipeline' | 'batcher'>;
  readonly ackErrors: Counter<'pipeline'>;
  readonly rateLimitWaits: Counter<'pipeline'>;
  readonly producerErrors: Counter<'pipeline' | 'kind'>;
  readonly backlog: Gauge<'pipeline' | 'broker' | 'destination'>;
  readonly backlogInFlight: Gauge<'pipeline' | 'broker' | 'destination'>;
}

/** The fill ratio's buckets: tenths of a batch. */
const FILL_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** Creates the metrics in `registry`, each name after `prefix`. */
export function createMetrics(
  registry: Registry,
  prefix: string,
  durationBuckets: readonly number[],
): SluiceMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: prefix + name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: prefix + name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ) => new FastHistogram<L>({ name: prefix + name, help, labelNames, buckets, registry });
  return {
    received: counter('messages_received_total', 'Messages a processor took from the producers.', [
      'pipeline',
      'processor',
    ]),
    acked: counter(
      'messages_acked_total',
      'Messages handed to their acknowledgers, by outcome: successful or failed.',
      ['pipeline', 'outcome'],
    ),
    retried: counter(
      'messages_retried_total',
      'Failed messages the producer scheduled for another delivery (SQS visibility, RabbitMQ retry queue, Kafka retry).',
      ['broker', 'destination'],
    ),
    deadLettered: counter(
      'messages_dead_lettered_total',
      'Failed messages the producer sent to a dead-letter queue, topic or exchange (SQS, Kafka, RabbitMQ).',
      ['broker', 'destination'],
    ),
    handlerDuration: histogram(
      'handler_duration_seconds',
      'Time in handleMessage, per message (failed messages included).',
      ['pipeline', 'processor'],
      durationBuckets,
    ),
    batchDuration: histogram(
      'batch_duration_seconds',
      'Time in handleBatch, per batch.',
      ['pipeline', 'batcher'],
      durationBuckets,
    ),
    batchFill: histogram(
      'batch_fill_ratio',
      "A batch's size divided by its batcher's batchSize (batchers with a numeric batchSize only).",
      ['pipeline', 'batcher'],
      FILL_BUCKETS,
    ),
    inFlight: gauge('messages_in_flight', 'Messages taken by processors and not yet acked.', [
      'pipeline',
    ]),
    buffered: gauge(
      'messages_buffered',
      'Messages a batcher holds until its batch fills or times out.',
      ['pipeline', 'batcher'],
    ),
    ackErrors: counter(
      'ack_errors_total',
      'Acknowledger calls that threw or rejected; their messages stay un-acked at the source.',
      ['pipeline'],
    ),
    rateLimitWaits: counter(
      'rate_limit_waits_total',
      "Times the producers' rate limit closed: the interval's budget was spent and fetching waited.",
      ['pipeline'],
    ),
    producerErrors: counter(
      'producer_errors_total',
      'Messages a producer emitted that could not enter the pipeline, by kind.',
      ['pipeline', 'kind'],
    ),
    backlog: gauge(
      'backlog',
      'Messages waiting at the broker (SQS visible, RabbitMQ ready, Kafka lag summed over partitions), as last polled.',
      ['pipeline', 'broker', 'destination'],
    ),
    backlogInFlight: gauge(
      'backlog_in_flight',
      "Messages delivered and not yet acked at the broker (SQS not visible: every consumer's; RabbitMQ unacked: this pipeline's), as last polled.",
      ['pipeline', 'broker', 'destination'],
    ),
  };
}
