/**
 * The Kafka sink: publishes each message as a record of one topic through
 * an idempotent producer with `acks: all`, so a record is confirmed only
 * once every in-sync replica has it and a retried send writes no
 * duplicate. A batch goes out in sends of at most `maxSendBytes`, one
 * after the other; when a send fails, its records and every later one
 * fail (nothing after a gap is written, which keeps a key's records in
 * order), those before are written and acked. A message whose data or key
 * cannot be encoded fails alone.
 *
 * With `exactlyOnce`, records go into the Kafka transaction of the source
 * member that consumed each message, committed with its offsets (see
 * `MemberTransactions` in @sluice/producers/kafka and docs/sinks.md).
 */
import type { Message } from '@sluice/core';
import type {
  KafkaClient,
  KafkaOutgoingMessage,
  KafkaPublisher,
  KafkaTransactionalSource,
  MemberTransactions,
} from '@sluice/producers/kafka';
import { SinkError } from '../errors.ts';
import { jsonData, pick } from '../internal/data.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { payload } from '../internal/payload.ts';
import { failedWith, WRITTEN, type Sink, type SinkOutcome } from '../sink.ts';
import {
  parseKafkaSinkOptions,
  type KafkaSinkOptions,
  type ResolvedKafkaSinkOptions,
} from './options.ts';

export {
  kafkaSinkOptionsObject,
  parseKafkaSinkOptions,
  type KafkaSinkOptions,
  type ResolvedKafkaSinkOptions,
} from './options.ts';

/** What {@link kafkaSink} may be given instead of building its own client (tests, a shared client). */
export interface KafkaSinkDependencies {
  readonly client?: KafkaClient;
}

/** A record ready to send, with the index of its message in the batch. */
interface Outgoing {
  readonly index: number;
  readonly record: KafkaOutgoingMessage;
  readonly bytes: number;
}

/**
 * A sink that publishes every message to `topic`.
 *
 * @example
 * ```ts
 * const enriched = kafkaSink({ brokers: ['127.0.0.1:9092'], topic: 'orders.enriched', key: 'customerId' });
 * // in createPipeline: handleBatch: sinkHandler(enriched)
 * ```
 */
export function kafkaSink(input: KafkaSinkOptions, dependencies: KafkaSinkDependencies = {}): Sink {
  const options = parseKafkaSinkOptions(input);
  const name = `Kafka topic ${options.topic}`;
  let client = dependencies.client;
  let publisher: Promise<KafkaPublisher> | undefined;
  const getClient = async (): Promise<KafkaClient> => (client ??= await buildClient(options));
  const getPublisher = (): Promise<KafkaPublisher> => {
    publisher ??= getClient()
      .then((c) => c.publisher({ idempotent: true, retries: options.retries }))
      .catch((error: unknown) => {
        publisher = undefined; // the next batch tries again
        throw error;
      });
    return publisher;
  };

  /**
   * Drops a publisher whose send failed. An idempotent producer numbers its
   * records per partition; after a send it does not know the fate of (a
   * timeout, a lost connection), the broker may still have appended it, and
   * the next send, numbered the same, would be taken for its duplicate and
   * dropped while confirmed: acked, never written. A fresh producer (a new
   * producer id) starts a new numbering; the failed records are redelivered
   * and at worst written twice, never lost.
   */
  const discard = (failed: Promise<KafkaPublisher>): void => {
    if (publisher !== failed) return;
    publisher = undefined;
    void failed.then((p) => p.close()).catch(() => undefined);
  };

  /** Encodes every message; those that cannot be get their failed outcome. */
  const prepare = (messages: readonly Message[], outcomes: SinkOutcome[]): Outgoing[] => {
    const ready: Outgoing[] = [];
    messages.forEach((message, index) => {
      try {
        ready.push(encode(message, index, options));
      } catch (error) {
        outcomes[index] = failedWith(
          new SinkError('ERR_SINK_DATA', name, (error as Error).message, { cause: error }),
        );
      }
    });
    return ready;
  };

  const write = async (messages: readonly Message[]): Promise<readonly SinkOutcome[]> => {
    const outcomes = new Array<SinkOutcome>(messages.length);
    const ready = prepare(messages, outcomes);
    if (options.exactlyOnce) {
      await writeTransactional(name, options, messages, ready, outcomes, getClient);
      return outcomes;
    }
    let failure: SinkError | undefined;
    for (const chunk of chunks(ready, options.maxSendBytes)) {
      if (failure === undefined) {
        const current = getPublisher();
        try {
          await (
            await current
          ).send(
            options.topic,
            chunk.map((o) => o.record),
          );
        } catch (error) {
          discard(current);
          const refused = (error as { code?: unknown }).code === 'ERR_BROKER_REQUEST';
          failure = new SinkError(
            refused ? 'ERR_SINK_REFUSED' : 'ERR_SINK_UNAVAILABLE',
            name,
            `the brokers ${refused ? 'refused' : 'did not confirm'} the send (${(error as Error).message})`,
            { cause: error },
          );
        }
      }
      for (const o of chunk) {
        outcomes[o.index] = failure === undefined ? WRITTEN : failedWith(failure);
      }
    }
    return outcomes;
  };

  return {
    name,
    write,
    probe: async () => {
      const admin = await (await getClient()).admin();
      try {
        const topics = await admin.listTopics();
        if (!topics.includes(options.topic)) {
          throw new SinkError('ERR_SINK_UNAVAILABLE', name, 'the topic does not exist');
        }
      } finally {
        await admin.close();
      }
    },
    close: async () => {
      const p = publisher;
      publisher = undefined;
      if (p !== undefined) await (await p.catch(() => undefined))?.close();
    },
  };
}

/**
 * Exactly-once: each message's record goes into the open transaction of
 * the Kafka source member that handed the message out; that member commits
 * it with its offsets. Per member, in sends of at most `maxSendBytes`; a
 * failed send fails its records and the member's later ones.
 */
async function writeTransactional(
  name: string,
  options: ResolvedKafkaSinkOptions,
  messages: readonly Message[],
  ready: readonly Outgoing[],
  outcomes: SinkOutcome[],
  getClient: () => Promise<KafkaClient>,
): Promise<void> {
  const { kafkaTransactionalSource } = await import('@sluice/producers/kafka');
  const members = new Map<
    MemberTransactions,
    { outgoing: Outgoing; entry: KafkaTransactionalSource['entry'] }[]
  >();
  for (const outgoing of ready) {
    const message = messages[outgoing.index] as Message;
    const source = kafkaTransactionalSource(message);
    if (source === undefined) {
      const id = message.id === undefined ? 'a message' : `message ${String(message.id)}`;
      outcomes[outgoing.index] = failedWith(
        new SinkError(
          'ERR_SINK_DATA',
          name,
          `exactlyOnce: ${id} did not come from a Kafka source (kafkaProducer), so its offset cannot be committed with its record`,
        ),
      );
      continue;
    }
    const list = members.get(source.transactions) ?? [];
    list.push({ outgoing, entry: source.entry });
    members.set(source.transactions, list);
  }
  if (members.size === 0) return;
  const client = await getClient();
  await Promise.all(
    [...members].map(async ([transactions, list]) => {
      let failure: SinkError | undefined;
      for (const chunk of chunks(list, options.maxSendBytes)) {
        if (failure === undefined) {
          try {
            await transactions.send(
              client,
              options.topic,
              chunk.map((c) => ({ entry: c.entry, record: c.outgoing.record })),
            );
          } catch (error) {
            failure = new SinkError(
              'ERR_SINK_UNAVAILABLE',
              name,
              `the transactional send failed; the transaction is aborted (${(error as Error).message})`,
              { cause: error },
            );
          }
        }
        for (const c of chunk) {
          outcomes[c.outgoing.index] = failure === undefined ? WRITTEN : failedWith(failure);
        }
      }
    }),
  );
}

/** The record for `message`: its data as the value, the key its path names, trace headers. */
function encode(message: Message, index: number, options: ResolvedKafkaSinkOptions): Outgoing {
  const value = payload(message);
  let key: string | undefined;
  if (options.key !== undefined) {
    const found = pick(jsonData(message), options.key);
    if (found === undefined || found === null) {
      const id = message.id === undefined ? '' : `message ${String(message.id)}: `;
      throw new Error(`${id}its data has no key at '${options.key}'`);
    }
    key = typeof found === 'string' ? found : JSON.stringify(found);
  }
  const headers = outgoingHeaders('kafka', options.topic, message);
  const record: KafkaOutgoingMessage = {
    value,
    ...(key !== undefined && { key }),
    ...(headers !== undefined && { headers }),
  };
  return {
    index,
    record,
    bytes: value.byteLength + (key === undefined ? 0 : Buffer.byteLength(key)),
  };
}

/** `records` in runs of at most `max` bytes (a bigger record goes alone). */
function* chunks<T extends { readonly bytes: number } | { readonly outgoing: Outgoing }>(
  records: readonly T[],
  max: number,
): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = 'bytes' in r ? r.bytes : r.outgoing.bytes;
    if (chunk.length > 0 && bytes + size > max) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** The client the options name. */
async function buildClient(o: ResolvedKafkaSinkOptions): Promise<KafkaClient> {
  const { KafkaJsClient, PlatformaticClient } = await import('@sluice/producers/kafka');
  const config = {
    clientId: o.clientId,
    ...(o.brokers !== undefined && { brokers: [...o.brokers] }),
    ...(o.ssl !== undefined && { ssl: o.ssl as never }),
    ...(o.sasl !== undefined && { sasl: o.sasl as never }),
  };
  return o.client === 'platformatic' ? new PlatformaticClient(config) : new KafkaJsClient(config);
}
