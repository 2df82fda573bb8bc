/**
 * @sluice/producers/rabbitmq: the {@link RabbitMqClient} seam and its amqplib
 * adapter. The RabbitMQ producer will live here too.
 */
export type {
  RabbitMqChannel,
  RabbitMqClient,
  RabbitMqConnection,
  RabbitMqConsumeOptions,
  RabbitMqExchangeOptions,
  RabbitMqExchangeType,
  RabbitMqMessage,
  RabbitMqPublishOptions,
  RabbitMqQueueInfo,
  RabbitMqQueueOptions,
} from './client.ts';
export { AmqplibClient, type AmqplibClientOptions, type AmqplibConnect } from './amqplib-client.ts';
