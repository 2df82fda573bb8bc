/**
 * The SQS sink: `SendMessageBatch` calls of up to 10 entries (and 256 KiB),
 * each entry one message. SQS answers per entry: an entry it failed on its
 * own side is retried with backoff, an entry refused as the sender's fault
 * (bad characters, a missing group id) fails its message at once, and
 * every other message of the batch is written and acked. A call that gets
 * no answer is retried whole; once the retries are spent its entries fail.
 */
import type { Message } from '@sluice/core';
import type { SqsClient, SqsMessageAttribute, SqsSendEntry } from '@sluice/producers/sqs';
import { SinkError } from '../errors.ts';
import { backoffDelay, sleep } from '../internal/backoff.ts';
import { jsonData, pick } from '../internal/data.ts';
import { limit } from '../internal/limit.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { text } from '../internal/payload.ts';
import { failedWith, WRITTEN, type Sink, type SinkOutcome } from '../sink.ts';
import {
  parseSqsSinkOptions,
  type ResolvedSqsSinkOptions,
  type SqsSinkOptions,
} from './options.ts';

export {
  parseSqsSinkOptions,
  sqsSinkOptionsObject,
  type ResolvedSqsSinkOptions,
  type SqsSinkOptions,
} from './options.ts';

/** SQS takes at most 10 entries, and 256 KiB in all, per call. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;

/** What {@link sqsSink} may be given instead of building its own client (tests, a shared client). */
export interface SqsSinkDependencies {
  readonly client?: SqsClient;
}

/** An entry to send, with the index of its message in the batch. */
interface Entry {
  readonly index: number;
  readonly entry: SqsSendEntry;
  readonly bytes: number;
}

/**
 * A sink that sends every message to `queueUrl`, its data as the body
 * (text as is, anything else as JSON) and its trace context as message
 * attributes.
 *
 * @example
 * ```ts
 * const next = sqsSink({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/orders-enriched' });
 * // in createPipeline: handleBatch: sinkHandler(next)
 * ```
 */
export function sqsSink(input: SqsSinkOptions, dependencies: SqsSinkDependencies = {}): Sink {
  const options = parseSqsSinkOptions(input);
  const name = `SQS queue ${options.queueUrl}`;
  const gate = limit(options.concurrency);
  let client = dependencies.client;
  let owned: { close(): void } | undefined;
  const getClient = async (): Promise<SqsClient> => {
    if (client !== undefined) return client;
    const { AwsSqsClient } = await import('@sluice/producers/sqs');
    const aws = new AwsSqsClient({
      ...(options.region !== undefined && { region: options.region }),
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    });
    owned = aws;
    return (client = aws);
  };

  const write = async (
    messages: readonly Message[],
    signal?: AbortSignal,
  ): Promise<readonly SinkOutcome[]> => {
    const outcomes = new Array<SinkOutcome>(messages.length);
    const entries: Entry[] = [];
    messages.forEach((message, index) => {
      try {
        entries.push(toEntry(message, index, options));
      } catch (error) {
        outcomes[index] = failedWith(
          new SinkError('ERR_SINK_DATA', name, (error as Error).message, { cause: error }),
        );
      }
    });
    const sqs = await getClient();
    await Promise.all(
      [...chunks(entries)].map((chunk) =>
        gate.run(() => send(sqs, options, name, chunk, outcomes, signal)),
      ),
    );
    return outcomes;
  };

  return {
    name,
    write,
    probe: async () => {
      const sqs = await getClient();
      await sqs.getQueueAttributes(options.queueUrl, ['QueueArn']);
    },
    close: () => {
      owned?.close();
      return Promise.resolve();
    },
  };
}

/** Sends `chunk`, retrying what may succeed later; writes each entry's outcome. */
async function send(
  sqs: SqsClient,
  options: ResolvedSqsSinkOptions,
  name: string,
  chunk: readonly Entry[],
  outcomes: SinkOutcome[],
  signal: AbortSignal | undefined,
): Promise<void> {
  let pending = chunk;
  let last = 'aborted before the write was confirmed';
  let cause: unknown;
  for (let attempt = 0; attempt <= options.retries && pending.length > 0; attempt++) {
    if (attempt > 0 && !(await sleep(backoffDelay(options.retryBackoff, attempt), signal))) break;
    if (signal?.aborted === true) break;
    const byId = new Map(pending.map((e) => [e.entry.id, e]));
    try {
      const result = await sqs.sendMessageBatch(
        options.queueUrl,
        pending.map((e) => e.entry),
        signal === undefined ? {} : { signal },
      );
      for (const s of result.successful) {
        const e = byId.get(s.id);
        if (e !== undefined) outcomes[e.index] = WRITTEN;
        byId.delete(s.id);
      }
      for (const f of result.failed) {
        const e = byId.get(f.id);
        if (e === undefined || !f.senderFault) continue;
        outcomes[e.index] = failedWith(
          new SinkError(
            'ERR_SINK_REFUSED',
            name,
            `SQS refused the entry: ${f.code} (${f.message})`,
          ),
        );
        byId.delete(f.id);
      }
      const retriable = result.failed.filter((f) => !f.senderFault);
      if (retriable.length > 0) {
        last = `SQS failed the entry: ${retriable[0]?.code} (${retriable[0]?.message})`;
      }
      cause = undefined;
      // Entries in neither list are unconfirmed: they are sent again too.
      pending = [...byId.values()];
    } catch (error) {
      last = `SendMessageBatch got no answer (${(error as Error).message})`;
      cause = error;
    }
  }
  const tries = options.retries + 1;
  for (const e of pending) {
    outcomes[e.index] = failedWith(
      new SinkError(
        'ERR_SINK_UNAVAILABLE',
        name,
        `${last} (after ${tries} ${tries === 1 ? 'try' : 'tries'})`,
        cause === undefined ? undefined : { cause },
      ),
    );
  }
}

/** The entry for `message`: its data as the body, trace context as attributes. */
function toEntry(message: Message, index: number, options: ResolvedSqsSinkOptions): Entry {
  const body = text(message);
  const headers = outgoingHeaders('aws_sqs', options.queueUrl, message);
  let attributes: Record<string, SqsMessageAttribute> | undefined;
  if (headers !== undefined) {
    attributes = {};
    for (const [k, v] of Object.entries(headers)) {
      attributes[k] = { dataType: 'String', stringValue: v };
    }
  }
  let groupId: string | undefined;
  if (options.messageGroupId !== undefined) {
    const found = pick(jsonData(message), options.messageGroupId);
    if (found === undefined || found === null) {
      const id = message.id === undefined ? '' : `message ${String(message.id)}: `;
      throw new Error(`${id}its data has no message group id at '${options.messageGroupId}'`);
    }
    groupId = typeof found === 'string' ? found : JSON.stringify(found);
  }
  const entry: SqsSendEntry = {
    id: String(index),
    body,
    ...(attributes !== undefined && { messageAttributes: attributes }),
    ...(groupId !== undefined && { messageGroupId: groupId }),
  };
  const bytes =
    Buffer.byteLength(body) + (headers === undefined ? 0 : JSON.stringify(headers).length);
  return { index, entry, bytes };
}

/** `entries` in calls of at most 10 entries and 256 KiB. */
function* chunks(entries: readonly Entry[]): Generator<Entry[]> {
  let chunk: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (chunk.length === MAX_ENTRIES || (chunk.length > 0 && bytes + e.bytes > MAX_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += e.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
