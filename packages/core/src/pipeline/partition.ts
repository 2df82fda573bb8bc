/** Maps a `partitionBy` result onto `0..count-1`. */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import { defaultHash } from '../stage/partition-dispatcher.ts';
import type { Logger } from '../logger.ts';
import type { PartitionBy } from './definition.ts';
import type { Message } from './message.ts';

/**
 * The partition of `message` among `count`. Integers wrap (negative ones
 * too), strings are hashed. Throws a SluiceError naming the bad value.
 */
export function partitionOf(partitionBy: PartitionBy, message: Message, count: number): number {
  const value = partitionBy(message);
  if (typeof value === 'number' && Number.isInteger(value)) {
    // Most partitionBy functions already return 0..count-1: skip the two
    // integer divisions, which cost more than the rest of the dispatch.
    if (value >= 0 && value < count) return value;
    return ((value % count) + count) % count;
  }
  if (typeof value === 'string') return defaultHash(value) % count;
  throw new SluiceError(
    'ERR_BAD_RETURN',
    `partitionBy must return an integer or a string, got ${show(value)}`,
  );
}

/**
 * `partitionOf` for a dispatcher: a `partitionBy` that throws or returns a
 * bad value fails that message (logged with its id) and sends it to
 * partition 0, where it is acked as failed without being handled.
 */
export function partitioner(
  partitionBy: PartitionBy,
  count: number,
  logger: Logger,
): (message: Message) => number {
  return (message) => {
    try {
      return partitionOf(partitionBy, message, count);
    } catch (error) {
      message.status = { kind: 'error', error, callback: 'partitionBy' };
      logger.error({ err: error, messageId: message.id }, 'partitionBy failed');
      return 0;
    }
  };
}
