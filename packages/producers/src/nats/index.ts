/**
 * @sluice/producers/nats: the NATS JetStream producer, the
 * {@link NatsClient} seam it reads through, and the seam's adapter over
 * the official `@nats-io/jetstream` client.
 */
export { natsProducer, natsSource, type NatsProducerModule } from './producer.ts';
export {
  NATS_ON_FAILURE,
  NATS_ON_SUCCESS,
  type NatsAckOptions,
  type NatsOnFailure,
  type NatsOnSuccess,
} from './ack-options.ts';
export type { NatsMetadata } from './run.ts';
export type { NatsAckData } from './acknowledger.ts';
export type { NatsDecode, NatsPartitionBy, NatsProducerOptions } from './options.ts';
export {
  DELIVERY_COUNT_HEADER,
  FAILURE_REASON_HEADER,
  SOURCE_SEQUENCE_HEADER,
  SOURCE_SUBJECT_HEADER,
} from './failures.ts';
export {
  natsChannels,
  type NatsAckEvent,
  type NatsDeadLetterEvent,
  type NatsEventBase,
  type NatsFetchExceptionEvent,
  type NatsFetchStartEvent,
  type NatsFetchStopEvent,
  type NatsNakEvent,
  type NatsWorkingEvent,
} from './telemetry.ts';
export type {
  NatsClient,
  NatsConsumerConfig,
  NatsFetchOptions,
  NatsHeaders,
  NatsMessage,
} from './client.ts';
export type { NatsAdmin, NatsConsumerCounts, NatsStoredMessage } from './admin.ts';
export { NatsJsAdmin, NatsJsClient, type NatsConnectOptions } from './nats-client.ts';
