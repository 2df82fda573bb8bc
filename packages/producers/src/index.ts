/**
 * @sluice/producers: broker producers for Sluice pipelines. Each broker is a
 * subpath export (`@sluice/producers/sqs`, `/kafka`, `/rabbitmq`) so an app
 * only loads the client library it uses. This entry point holds what they
 * share: the errors the adapters throw. Where the test brokers are lives
 * with the fixtures, in `@sluice/producers/testing`.
 */
export { BrokerError, isBrokerError, type BrokerErrorCode, type BrokerKind } from './errors.ts';
export { outgoingChannel, type OutgoingEvent } from './internal/outgoing.ts';
