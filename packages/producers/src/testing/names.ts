/** Unique names for the queues and topics the broker fixtures create. */
import { randomBytes } from 'node:crypto';

/** The prefix of every queue, topic and exchange the fixtures create. */
export const DEFAULT_NAME_PREFIX = 'sluice-test-';

/**
 * `prefix` followed by 12 random hex digits, e.g. `sluice-test-3f9a0c1b7d2e`.
 * Valid as an SQS queue name, a Kafka topic and a RabbitMQ queue.
 */
export function uniqueName(prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}
