/** {@link KafkaPublisher} over a kafkajs producer: sends records with acks=all; and its transactional sibling. */
import type { Producer } from 'kafkajs';
import type { KafkaOutgoingMessage, KafkaPublisher, KafkaRecordMetadata } from './client.ts';
import type { KafkaJsCall } from './kafkajs-support.ts';
import type { KafkaTransaction, KafkaTransactionalPublisher } from './transactions.ts';

export class KafkaJsPublisher implements KafkaPublisher {
  readonly #producer: Producer;
  readonly #call: KafkaJsCall;

  constructor(producer: Producer, call: KafkaJsCall) {
    this.#producer = producer;
    this.#call = call;
  }

  async send(
    topic: string,
    messages: readonly KafkaOutgoingMessage[],
  ): Promise<KafkaRecordMetadata[]> {
    if (messages.length === 0) return [];
    const metadata = await this.#call('send', topic, () =>
      this.#producer.send({
        topic,
        acks: -1,
        messages: messages.map(toKafkaJs),
      }),
    );
    return metadata.map((r) => ({
      topic: r.topicName,
      partition: r.partition,
      baseOffset: r.baseOffset ?? r.offset ?? '-1',
    }));
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

/**
 * {@link KafkaTransactionalPublisher} over a kafkajs producer with a
 * `transactionalId`: `sendOffsets` is kafkajs's TxnOffsetCommit, without
 * a group generation, so fencing rests on the transactional id.
 */
export class KafkaJsTransactionalPublisher implements KafkaTransactionalPublisher {
  readonly #producer: Producer;
  readonly #call: KafkaJsCall;

  constructor(producer: Producer, call: KafkaJsCall) {
    this.#producer = producer;
    this.#call = call;
  }

  async begin(): Promise<KafkaTransaction> {
    const txn = await this.#call('begin a transaction', undefined, () =>
      this.#producer.transaction(),
    );
    return {
      send: async (topic, messages) => {
        if (messages.length === 0) return;
        await this.#call('transactional send', topic, () =>
          txn.send({ topic, acks: -1, messages: messages.map(toKafkaJs) }),
        );
      },
      sendOffsets: async (groupId, offsets) => {
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const o of offsets) {
          const list = byTopic.get(o.topic) ?? [];
          list.push({ partition: o.partition, offset: o.offset });
          byTopic.set(o.topic, list);
        }
        await this.#call('transactional offset commit', offsets[0]?.topic, () =>
          txn.sendOffsets({
            consumerGroupId: groupId,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          }),
        );
      },
      commit: () => this.#call('transaction commit', undefined, () => txn.commit()),
      abort: () => this.#call('transaction abort', undefined, () => txn.abort()),
    };
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

function toKafkaJs(m: KafkaOutgoingMessage) {
  return {
    value: m.value,
    ...(m.key !== undefined && { key: m.key }),
    ...(m.partition !== undefined && { partition: m.partition }),
    ...(m.headers && { headers: { ...m.headers } }),
    ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
  };
}
