/** Maps a `partitionBy` result onto `0..count-1`. */
import { SluiceError } from '../errors.ts';
import { show } from '../internal/parse-options.ts';
import { defaultHash } from '../stage/partition-dispatcher.ts';
import type { PartitionBy } from './definition.ts';
import type { Message } from './message.ts';

/**
 * The partition of `message` among `count`. Integers wrap (negative ones
 * too), strings are hashed. Throws a SluiceError naming the bad value.
 */
export function partitionOf(partitionBy: PartitionBy, message: Message, count: number): number {
  const value = partitionBy(message);
  if (typeof value === 'number' && Number.isInteger(value)) {
    return ((value % count) + count) % count;
  }
  if (typeof value === 'string') return defaultHash(value) % count;
  throw new SluiceError(
    'ERR_BAD_RETURN',
    `partitionBy must return an integer or a string, got ${show(value)}`,
  );
}
