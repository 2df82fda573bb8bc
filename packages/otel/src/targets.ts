/**
 * A target is one (pipeline, system, destination): the span name and the
 * low-cardinality attributes its spans and metrics share, built once and
 * reused for every message, so a message's span costs no attribute object
 * unless it is recorded.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  MESSAGING_CONSUMER_GROUP_NAME,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM,
  SLUICE_PIPELINE,
} from './semconv.ts';
import type { MessageSource, SourceHints } from './source.ts';

/** The shared names and attributes of one pipeline's messages from one destination. */
export interface Target {
  readonly system: string;
  readonly destination: string;
  /** `process {destination}`, or `process` without one. */
  readonly processName: string;
  /** messaging.system, destination, consumer group, operation `process`, the pipeline. */
  readonly spanAttributes: Attributes;
  /** As the span attributes, for the metrics (no pipeline-specific high cardinality). */
  readonly metricAttributes: Attributes;
  /** Metric attributes plus `error.type`, by error type. */
  readonly failed: Map<string, Attributes>;
}

/** The targets of every pipeline, and what was learned about them from the producers' events. */
export class Targets {
  readonly #cache = new Map<string, Target>();
  readonly #hints: (pipeline: string) => SourceHints | undefined;
  /** Kafka consumer groups, by pipeline, from `sluice:kafka:fetch`. */
  readonly #groups = new Map<string, string>();
  /** SQS queue names seen in `sluice:sqs:receive:stop`. */
  readonly #queues = new Set<string>();

  constructor(hints: (pipeline: string) => SourceHints | undefined) {
    this.#hints = hints;
  }

  hints(pipeline: string): SourceHints | undefined {
    return this.#hints(pipeline);
  }

  /** A Kafka producer of `pipeline` reads for consumer group `groupId`. */
  learnGroup(pipeline: string, groupId: string): void {
    if (this.#groups.get(pipeline) !== groupId) {
      this.#groups.set(pipeline, groupId);
      this.#cache.clear();
    }
  }

  /** An SQS producer reads `queue`; with only one queue seen, SQS messages are from it. */
  learnQueue(queue: string): void {
    if (!this.#queues.has(queue)) {
      this.#queues.add(queue);
      this.#cache.clear();
    }
  }

  /** The target of a message of `pipeline` from `source`. */
  of(pipeline: string, source: MessageSource): Target {
    const key = `${pipeline}\u0000${source.system}\u0000${source.destination}`;
    let target = this.#cache.get(key);
    if (target === undefined) {
      target = this.#build(pipeline, source);
      this.#cache.set(key, target);
    }
    return target;
  }

  #build(pipeline: string, source: MessageSource): Target {
    const hints = this.#hints(pipeline);
    let destination = source.destination;
    if (destination === '' && source.system === 'aws_sqs' && this.#queues.size === 1) {
      destination = [...this.#queues][0] as string;
    }
    const group =
      hints?.consumerGroup ?? (source.system === 'kafka' ? this.#groups.get(pipeline) : undefined);
    const metricAttributes: Attributes = {
      [MESSAGING_SYSTEM]: source.system,
      [MESSAGING_OPERATION_TYPE]: 'process',
      [MESSAGING_OPERATION_NAME]: 'process',
      ...(destination !== '' && { [MESSAGING_DESTINATION_NAME]: destination }),
      ...(group !== undefined && { [MESSAGING_CONSUMER_GROUP_NAME]: group }),
    };
    return {
      system: source.system,
      destination,
      processName: destination === '' ? 'process' : `process ${destination}`,
      spanAttributes: { ...metricAttributes, [SLUICE_PIPELINE]: pipeline },
      metricAttributes,
      failed: new Map(),
    };
  }
}

/** The queue's name: the last segment of its URL. */
export function queueName(queueUrl: string): string {
  const slash = queueUrl.replace(/\/+$/, '').lastIndexOf('/');
  return slash === -1 ? queueUrl : queueUrl.slice(slash + 1);
}
