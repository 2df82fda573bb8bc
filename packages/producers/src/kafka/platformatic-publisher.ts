/** {@link KafkaPublisher} over a @platformatic/kafka producer: sends records with acks=all. */
import type { Producer } from '@platformatic/kafka';
import type { BrokerError } from '../errors.ts';
import type { KafkaOutgoingMessage, KafkaPublisher, KafkaRecordMetadata } from './client.ts';

const ACKS_ALL = -1;

export class PlatformaticPublisher implements KafkaPublisher {
  readonly #producer: Producer;
  readonly #toError: (error: unknown, operation: string, topic: string) => BrokerError;

  constructor(
    producer: Producer,
    toError: (error: unknown, operation: string, topic: string) => BrokerError,
  ) {
    this.#producer = producer;
    this.#toError = toError;
  }

  async send(
    topic: string,
    messages: readonly KafkaOutgoingMessage[],
  ): Promise<KafkaRecordMetadata[]> {
    if (messages.length === 0) return [];
    let result;
    try {
      result = await this.#producer.send({
        acks: ACKS_ALL,
        messages: messages.map((m) => ({
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
        })),
      });
    } catch (error) {
      throw this.#toError(error, 'send', topic);
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
