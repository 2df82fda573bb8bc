/**
 * The metrics, with the messaging conventions' names and units (seconds)
 * and low-cardinality attributes only (system, destination, consumer
 * group, operation, `error.type`; never a message id or partition):
 *
 * - `messaging.process.duration`: each `handleMessage` call;
 * - `messaging.client.consumed.messages`: messages a processor took;
 * - `messaging.client.operation.duration`: the calls to the broker that the
 *   producers report with a duration: SQS receives and Kafka commits.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  DURATION_BUCKETS,
  ERROR_TYPE,
  METRIC_CONSUMED_MESSAGES,
  METRIC_OPERATION_DURATION,
  METRIC_PROCESS_DURATION,
} from './semconv.ts';
import type { Target } from './targets.ts';

/** The three instruments, and how each event feeds them. */
export class Metrics {
  readonly #processDuration: Histogram;
  readonly #consumed: Counter;
  readonly #operationDuration: Histogram;

  constructor(meter: Meter) {
    this.#processDuration = meter.createHistogram(METRIC_PROCESS_DURATION, {
      description: 'Duration of processing operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#consumed = meter.createCounter(METRIC_CONSUMED_MESSAGES, {
      description: 'Number of messages that were delivered to the application.',
      unit: '{message}',
    });
    this.#operationDuration = meter.createHistogram(METRIC_OPERATION_DURATION, {
      description: 'Duration of messaging operation initiated by a producer or consumer client.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  /** A processor took a message. */
  consumed(target: Target): void {
    this.#consumed.add(1, target.metricAttributes);
  }

  /** `handleMessage` returned after `durationMs`; `error` is its `error.type` if it failed. */
  processed(target: Target, durationMs: number, error: string | undefined): void {
    this.#processDuration.record(
      durationMs / 1000,
      error === undefined ? target.metricAttributes : failedAttributes(target, error),
    );
  }

  /** A call to the broker (`receive`, `settle`…) took `durationMs`. */
  operation(attributes: Attributes, durationMs: number): void {
    this.#operationDuration.record(durationMs / 1000, attributes);
  }
}

/** The target's metric attributes with `error.type`, built once per type. */
function failedAttributes(target: Target, error: string): Attributes {
  let attributes = target.failed.get(error);
  if (attributes === undefined) {
    attributes = { ...target.metricAttributes, [ERROR_TYPE]: error };
    target.failed.set(error, attributes);
  }
  return attributes;
}
