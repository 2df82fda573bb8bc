/**
 * @sluice/producers: broker producers for Sluice pipelines. Each broker is a
 * subpath export (`@sluice/producers/sqs`, `/kafka`, `/rabbitmq`) so an app
 * only loads the client library it uses. This entry point holds what they
 * share: where the brokers are, and the errors the adapters throw.
 */
export {
  brokerEnv,
  redactUrl,
  DEFAULT_AMQP_URL,
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_SQS_ENDPOINT,
  type BrokerEnv,
} from './env.ts';
export { BrokerError, isBrokerError, type BrokerErrorCode, type BrokerKind } from './errors.ts';
