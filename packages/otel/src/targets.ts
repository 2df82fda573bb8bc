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
import type { Message } from '@sluice/core';
import { destinationOf, systemOf, type SourceHints } from './source.ts';

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
  /** The consumed-messages count of these metric attributes (shared by equal targets). */
  readonly consumed: Tally;
}

/** A running count of messages under one set of metric attributes. */
export interface Tally {
  readonly attributes: Attributes;
  count: number;
}

/** The targets of every pipeline, and what was learned about them from the producers' events. */
export class Targets {
  readonly #cache = new Map<string, Target>();
  readonly #hints: (pipeline: string) => SourceHints | undefined;
  /** Kafka consumer groups, by pipeline, from `sluice:kafka:fetch`. */
  readonly #groups = new Map<string, string>();
  /** One tally per distinct metric attributes: a target rebuilt after learning keeps its count. */
  readonly tallies = new Map<string, Tally>();
  /** SQS queue names seen in `sluice:sqs:receive:stop`. */
  readonly #queues = new Set<string>();
  /** The target found last, and the pipeline and destination it was found for. */
  #last: { pipeline: string; read: string; target: Target } | undefined;

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
      this.#forget();
    }
  }

  /** An SQS producer reads `queue`; with only one queue seen, SQS messages are from it. */
  learnQueue(queue: string): void {
    if (!this.#queues.has(queue)) {
      this.#queues.add(queue);
      this.#forget();
    }
  }

  /** The target of `message`, of `pipeline`. */
  forMessage(pipeline: string, message: Message): Target {
    const m = message.metadata;
    const hints = this.#hints(pipeline);
    const system = systemOf(m, hints);
    return this.of(pipeline, system, destinationOf(m, system, hints));
  }

  /** The target of a message of `pipeline` from `destination` of `system`. */
  of(pipeline: string, system: string, destination: string): Target {
    // Consecutive messages nearly always share their target: no key to build.
    const last = this.#last;
    if (
      last !== undefined &&
      last.pipeline === pipeline &&
      last.read === destination &&
      last.target.system === system
    ) {
      return last.target;
    }
    const key = `${pipeline}\u0000${system}\u0000${destination}`;
    let target = this.#cache.get(key);
    if (target === undefined) {
      target = this.#build(pipeline, system, destination);
      this.#cache.set(key, target);
    }
    this.#last = { pipeline, read: destination, target };
    return target;
  }

  #build(pipeline: string, system: string, read: string): Target {
    const hints = this.#hints(pipeline);
    let destination = read;
    if (destination === '' && system === 'aws_sqs' && this.#queues.size === 1) {
      destination = [...this.#queues][0] as string;
    }
    const group =
      hints?.consumerGroup ?? (system === 'kafka' ? this.#groups.get(pipeline) : undefined);
    const metricAttributes: Attributes = {
      [MESSAGING_SYSTEM]: system,
      [MESSAGING_OPERATION_TYPE]: 'process',
      [MESSAGING_OPERATION_NAME]: 'process',
      ...(destination !== '' && { [MESSAGING_DESTINATION_NAME]: destination }),
      ...(group !== undefined && { [MESSAGING_CONSUMER_GROUP_NAME]: group }),
    };
    return {
      system,
      destination,
      processName: destination === '' ? 'process' : `process ${destination}`,
      spanAttributes: { ...metricAttributes, [SLUICE_PIPELINE]: pipeline },
      metricAttributes,
      failed: new Map(),
      consumed: this.#tally(metricAttributes),
    };
  }

  #forget(): void {
    this.#cache.clear();
    this.#last = undefined;
  }

  #tally(attributes: Attributes): Tally {
    const key = JSON.stringify(attributes);
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      tally = { attributes, count: 0 };
      this.tallies.set(key, tally);
    }
    return tally;
  }
}

/** The queue's name: the last segment of its URL. */
export function queueName(queueUrl: string): string {
  const slash = queueUrl.replace(/\/+$/, '').lastIndexOf('/');
  return slash === -1 ? queueUrl : queueUrl.slice(slash + 1);
}
