/**
 * Batching by bytes. Many sinks limit a request's size rather than its
 * number of records (SQS SendMessageBatch: 256 KiB; many HTTP ingest APIs:
 * 1 MiB; S3 multipart parts: at least 5 MiB). A custom `batchSize` counts
 * each message's bytes and closes the batch before it would go over.
 *
 * The accumulator sees each message after `handleMessage`. It cannot hold a
 * message back, so it closes the batch when the *next* message would not
 * fit: it tracks the bytes of the batch so far, and when the incoming
 * message would overflow, emits the batch with that message as its last and
 * carries nothing over. To keep every batch strictly under the limit, emit
 * as soon as the batch reaches `limit - maxMessageBytes`; that is what
 * `byteBudget` does, with a margin for the largest message you accept.
 */
import type { BatchSizeAccumulator, Message } from '@sluice/core';

/** A message whose data is a string, whatever its metadata and ack options. */
export type TextMessage = Message<string, object, object>;

/** The size of a message as the sink will count it: UTF-8 bytes of its string data. */
export function bytesOf(message: TextMessage): number {
  return Buffer.byteLength(message.data, 'utf8');
}

/**
 * A `batchSize` that closes a batch once it holds `limit - maxMessageBytes`
 * bytes or more, so no batch ever exceeds `limit` as long as no message is
 * larger than `maxMessageBytes` (reject bigger ones in `handleMessage`).
 */
export function byteBudget(
  limit: number,
  maxMessageBytes: number,
): BatchSizeAccumulator<number, TextMessage> {
  if (maxMessageBytes >= limit) {
    throw new RangeError(`maxMessageBytes (${maxMessageBytes}) must be below limit (${limit})`);
  }
  const threshold = limit - maxMessageBytes;
  return {
    initial: 0,
    accumulate(message, bytes) {
      const total = bytes + bytesOf(message);
      // The accumulator returned with emit starts the next batch.
      return total >= threshold ? { emit: true, acc: 0 } : { emit: false, acc: total };
    },
  };
}
