/**
 * @sluice/producers/redis: the Redis Streams producer, the
 * {@link RedisClient} seam it reads through, and the seam's node-redis adapter.
 */
export { redisProducer, redisSource, type RedisProducerModule } from './producer.ts';
export {
  REDIS_ON_FAILURE,
  REDIS_ON_SUCCESS,
  type RedisAckOptions,
  type RedisOnFailure,
  type RedisOnSuccess,
} from './ack-options.ts';
export type { RedisFields, RedisMetadata } from './run.ts';
export type { RedisProducerOptions } from './options.ts';
export type { RedisAckData } from './failures.ts';
export {
  DELIVERY_COUNT_FIELD,
  FAILURE_REASON_FIELD,
  SOURCE_ID_FIELD,
  SOURCE_STREAM_FIELD,
} from './failures.ts';
export {
  redisChannels,
  type RedisAckEvent,
  type RedisClaimEvent,
  type RedisDeadLetterEvent,
  type RedisEventBase,
  type RedisReadExceptionEvent,
  type RedisReadStartEvent,
  type RedisReadStopEvent,
  type RedisRetryEvent,
} from './telemetry.ts';
export type {
  RedisAutoClaim,
  RedisClient,
  RedisEntry,
  RedisPendingEntry,
  RedisReadGroup,
} from './client.ts';
export { NodeRedisClient, type NodeRedisClientOptions } from './node-redis-client.ts';
