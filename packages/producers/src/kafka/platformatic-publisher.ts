/**
 * {@link KafkaPublisher} over a @platformatic/kafka producer: sends records
 * with acks=all; and its transactional sibling.
 */
import type { Admin, Producer } from '@platformatic/kafka';
import { BrokerError } from '../errors.ts';
import type { KafkaOutgoingMessage, KafkaPublisher, KafkaRecordMetadata } from './client.ts';
import type { KafkaTransaction, KafkaTransactionalPublisher } from './transactions.ts';

const ACKS_ALL = -1;

/**
 * Sends one at a time. @platformatic/kafka 1.35 numbers an idempotent
 * producer's records from its per-partition sequence, which it advances
 * only when a send's answer arrives: two sends in flight to one partition
 * carry the same sequence numbers, the broker takes the second for a
 * duplicate of the first, and confirms it without writing it (five
 * concurrent sends of 3 records to one partition: all five confirmed, 3
 * records written). A sink with several batch processors, or dead letters
 * of several messages, send concurrently: queued here, nothing is lost.
 */
export class PlatformaticPublisher implements KafkaPublisher {
  readonly #producer: Producer;
  readonly #toError: (error: unknown, operation: string, topic: string) => BrokerError;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    producer: Producer,
    toError: (error: unknown, operation: string, topic: string) => BrokerError,
  ) {
    this.#producer = producer;
    this.#toError = toError;
  }

  send(topic: string, messages: readonly KafkaOutgoingMessage[]): Promise<KafkaRecordMetadata[]> {
    if (messages.length === 0) return Promise.resolve([]);
    const run = () => this.#send(topic, messages);
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #send(
    topic: string,
    messages: readonly KafkaOutgoingMessage[],
  ): Promise<KafkaRecordMetadata[]> {
    let result;
    try {
      result = await this.#producer.send({
        acks: ACKS_ALL,
        messages: messages.map((m) => toRecord(topic, m)),
      });
    } catch (error) {
      throw withProtocolReason(this.#toError(error, 'send', topic), error);
    }
    return (result.offsets ?? []).map((o) => ({
      topic: o.topic,
      partition: o.partition,
      baseOffset: String(o.offset),
    }));
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/**
 * {@link KafkaTransactionalPublisher} over a @platformatic/kafka producer
 * with a `transactionalId`. The group's offsets go in through the
 * library's TxnOffsetCommit, one partition per call; it sends no group
 * generation or member id (generation -1), which classic groups accept
 * from a transactional producer, so fencing rests on the transactional id.
 */
export class PlatformaticTransactionalPublisher implements KafkaTransactionalPublisher {
  readonly #producer: Producer;
  readonly #admin: () => Admin;
  readonly #toError: (error: unknown, operation: string, topic: string) => BrokerError;
  /** The group coordinator's node id, per group. */
  readonly #coordinators = new Map<string, number>();

  constructor(
    producer: Producer,
    admin: () => Admin,
    toError: (error: unknown, operation: string, topic: string) => BrokerError,
  ) {
    this.#producer = producer;
    this.#admin = admin;
    this.#toError = toError;
  }

  async begin(): Promise<KafkaTransaction> {
    let txn: Awaited<ReturnType<Producer['beginTransaction']>>;
    try {
      // Producer id and epoch -1: a fresh start for the id, which fences
      // (and aborts the open transaction of) any older producer with it.
      // The library's default (0, 0) is refused as fenced once the id has
      // been used before, as after a restart.
      txn = await this.#producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    } catch (error) {
      // The library keeps a transaction whose start failed (its producer id
      // not granted yet, say, while the broker aborts a fenced one): drop it
      // so the next begin can try again.
      await this.#producer.transaction?.cancel().catch(() => undefined);
      throw this.#toError(error, 'begin a transaction', '');
    }
    return {
      send: async (topic, messages) => {
        if (messages.length === 0) return;
        try {
          await txn.send({ acks: ACKS_ALL, messages: messages.map((m) => toRecord(topic, m)) });
        } catch (error) {
          throw withProtocolReason(this.#toError(error, 'transactional send', topic), error);
        }
      },
      sendOffsets: async (groupId, offsets) => {
        try {
          const coordinatorId = await this.#coordinator(groupId);
          const consumer = { groupId, generationId: -1, memberId: '', coordinatorId };
          await txn.addConsumer({ groupId } as never);
          // One at a time: the library folds concurrent calls into one.
          for (const o of offsets) {
            await txn.addOffset({
              topic: o.topic,
              partition: o.partition,
              offset: BigInt(o.offset) - 1n,
              metadata: { consumer },
            } as never);
          }
        } catch (error) {
          this.#coordinators.delete(groupId);
          throw this.#toError(error, 'transactional offset commit', offsets[0]?.topic ?? '');
        }
      },
      commit: async () => {
        try {
          await txn.commit();
        } catch (error) {
          throw this.#toError(error, 'transaction commit', '');
        }
      },
      abort: async () => {
        try {
          await txn.abort();
        } catch (error) {
          await txn.cancel().catch(() => undefined);
          throw this.#toError(error, 'transaction abort', '');
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }

  async #coordinator(groupId: string): Promise<number> {
    const known = this.#coordinators.get(groupId);
    if (known !== undefined) return known;
    const admin = this.#admin();
    try {
      const [found] = await admin.findCoordinator({ keyType: GROUP_COORDINATOR, keys: [groupId] });
      if (found === undefined) throw new Error(`no coordinator for group ${groupId}`);
      this.#coordinators.set(groupId, found.nodeId);
      return found.nodeId;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}

/** FindCoordinator's key type for a consumer group. */
const GROUP_COORDINATOR = 0;

function toRecord(topic: string, m: KafkaOutgoingMessage) {
  return {
    topic,
    ...(m.key != null && { key: toBuffer(m.key) }),
    ...(m.value !== null && { value: toBuffer(m.value) }),
    ...(m.partition !== undefined && { partition: m.partition }),
    ...(m.timestamp !== undefined && { timestamp: BigInt(m.timestamp) }),
    ...(m.headers && {
      headers: new Map(
        Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), toBuffer(v)] as const),
      ),
    }),
  };
}

/**
 * `error` with the broker's own reason appended when the library buried it
 * (a send's error wraps a response error that wraps, per partition, the
 * protocol error saying why, e.g. MESSAGE_TOO_LARGE).
 */
function withProtocolReason(error: BrokerError, raw: unknown): BrokerError {
  const found = protocolError(raw, 0);
  if (found === undefined || error.message.includes(found.message)) return error;
  return new BrokerError(
    error.code,
    error.broker,
    `${error.message} (${found.apiId}: ${found.message})`,
    {
      cause: raw,
    },
  );
}

function protocolError(e: unknown, depth: number): { apiId: string; message: string } | undefined {
  if (e === null || typeof e !== 'object' || depth > 6) return undefined;
  const { apiId, message, errors, cause } = e as {
    apiId?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof apiId === 'string' && typeof message === 'string') return { apiId, message };
  for (const inner of Array.isArray(errors) ? errors : []) {
    const found = protocolError(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return protocolError(cause, depth + 1);
}
