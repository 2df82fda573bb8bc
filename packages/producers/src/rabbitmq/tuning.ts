/**
 * Pure checks of the options against the pipeline they run in: the default
 * prefetch, and the start-up warnings about starving processors and about
 * RabbitMQ's `consumer_timeout`.
 */
import type { ResolvedDefinition } from '@sluice/core';

/**
 * What one producer instance's consumers can hold at once: every processor
 * asks each producer for up to `maxDemand`, and every batcher holds up to
 * `batchSize` per batch processor running, as many closed batches waiting,
 * plus the batch it is filling (a custom batch size counts as 100). A
 * prefetch below this leaves processors (or batches) waiting for messages.
 */
export function pipelineHolding(definition: ResolvedDefinition<unknown>): number {
  const { processor, batchers, producer } = definition;
  let holding = processor.concurrency * processor.maxDemand;
  for (const b of batchers) {
    const size = typeof b.batchSize === 'number' ? b.batchSize : 100;
    holding += size * (2 * b.concurrency + 1);
  }
  return Math.ceil(holding / producer.concurrency);
}

/** The prefetch used when none is given: {@link pipelineHolding}, between 10 and 1000. */
export function defaultPrefetch(definition: ResolvedDefinition<unknown>): number {
  return Math.min(1000, Math.max(10, pipelineHolding(definition)));
}

/** A start-up warning for the log. */
export interface TuningWarning {
  /** `WARN_RABBITMQ_PREFETCH_BELOW_PROCESSORS` or `WARN_RABBITMQ_NEAR_CONSUMER_TIMEOUT`. */
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Warnings for this pipeline, RabbitMQ settings and prefetch:
 * - a prefetch below the processor count leaves processors idle for good;
 * - a `shutdownTimeout`, `batchTimeout` or processor `timeout` of at least
 *   half of `consumer_timeout`: a message that waits that long unacked makes
 *   the broker close the channel (error 406), and all its unacked messages
 *   are redelivered.
 */
export function tuningWarnings(
  definition: ResolvedDefinition<unknown>,
  prefetch: number,
  consumerTimeout: number,
): TuningWarning[] {
  const warnings: TuningWarning[] = [];
  const processors = Math.ceil(definition.processor.concurrency / definition.producer.concurrency);
  if (prefetch < processors) {
    warnings.push({
      code: 'WARN_RABBITMQ_PREFETCH_BELOW_PROCESSORS',
      message: `prefetch ${prefetch} is below the ${processors} processors each producer feeds: some processors will never get a message; raise prefetch`,
      details: { prefetch, processors },
    });
  }
  const near = consumerTimeout / 2;
  const timeouts: [string, number | undefined][] = [
    ['shutdownTimeout', definition.shutdownTimeout],
    ['processors timeout', definition.processor.timeout],
    ...definition.batchers.map((b): [string, number] => [
      `batchers.${b.key}.batchTimeout`,
      b.batchTimeout,
    ]),
  ];
  for (const [what, value] of timeouts) {
    if (value !== undefined && value >= near) {
      warnings.push({
        code: 'WARN_RABBITMQ_NEAR_CONSUMER_TIMEOUT',
        message: `${what} (${value} ms) comes near RabbitMQ's consumer_timeout (${consumerTimeout} ms): a delivery unacked for that long closes the channel and every unacked message is redelivered; lower it, or raise consumer_timeout on the broker (and the consumerTimeout option)`,
        details: { [what]: value, consumerTimeout },
      });
    }
  }
  return warnings;
}
