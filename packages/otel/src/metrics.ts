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
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import {
  DURATION_BUCKETS,
  ERROR_TYPE,
  METRIC_CONSUMED_MESSAGES,
  METRIC_OPERATION_DURATION,
  METRIC_PROCESS_DURATION,
} from './semconv.ts';
import type { Target, Targets } from './targets.ts';

/** The three instruments, and how each event feeds them. */
export class Metrics {
  readonly #processDuration: Histogram;
  readonly #operationDuration: Histogram;

  constructor(meter: Meter, targets: Targets) {
    this.#processDuration = meter.createHistogram(METRIC_PROCESS_DURATION, {
      description: 'Duration of processing operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    // An observable counter: each message adds 1 to its target's count, and
    // the SDK reads the counts when it collects. Counter.add per message
    // hashed its attributes every time (a fifth of the sampled-out cost).
    meter
      .createObservableCounter(METRIC_CONSUMED_MESSAGES, {
        description: 'Number of messages that were delivered to the application.',
        unit: '{message}',
      })
      .addCallback((result) => {
        for (const tally of targets.tallies.values()) result.observe(tally.count, tally.attributes);
      });
    this.#operationDuration = meter.createHistogram(METRIC_OPERATION_DURATION, {
      description: 'Duration of messaging operation initiated by a producer or consumer client.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  /** A processor took a message. */
  consumed(target: Target): void {
    target.consumed.count++;
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
