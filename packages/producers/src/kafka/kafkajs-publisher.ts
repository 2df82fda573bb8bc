/** {@link KafkaPublisher} over a kafkajs producer: sends records with acks=all. */
import type { Producer } from 'kafkajs';
import type { KafkaOutgoingMessage, KafkaPublisher, KafkaRecordMetadata } from './client.ts';
import type { KafkaJsCall } from './kafkajs-support.ts';

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
        messages: messages.map((m) => ({
          value: m.value,
          ...(m.key !== undefined && { key: m.key }),
          ...(m.partition !== undefined && { partition: m.partition }),
          ...(m.headers && { headers: { ...m.headers } }),
          ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
        })),
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
