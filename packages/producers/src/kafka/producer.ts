/**
 * `kafkaProducer`: a pipeline source reading Kafka topics as a consumer
 * group, with ordered concurrency (per partition or per key), commits of the
 * contiguous acked prefix only, bounded rebalances, retries, a dead-letter
 * topic or halt on failure. docs/producers/kafka.md is the guide.
 */
import type { Message, PartitionBy, ProducerModule } from '@sluice/core';
import { warnDeprecated } from '@sluice/core/options';
import { BrokerError } from '../errors.ts';
import { openWithTimeout, withTimeout } from '../internal/timeout.ts';
import { pollKafkaBacklog } from './backlog.ts';
import type { KafkaClient } from './client.ts';
import { KafkaJsClient } from './kafkajs-client.ts';
import { loadKafkaJs } from './kafkajs-support.ts';
import { KafkaConsumer } from './consumer.ts';
import type { HaltedPartition, KafkaMessageMetadata } from './message.ts';
import type { Entry } from './partition-state.ts';
import {
  resolveKafkaOptions,
  type KafkaProducerOptions,
  type ResolvedKafkaOptions,
} from './options.ts';
import { PlatformaticClient } from './platformatic-client.ts';
import { loadPlatformatic } from './platformatic-support.ts';

/**
 * The producer module, plus controls for halted partitions. Its messages
 * are `Message<Buffer | null, KafkaMessageMetadata, never>`: the record's
 * value (null for a tombstone); Kafka messages take no ack options
 * (`onFailure` is the producer's, for all of them).
 */
export interface KafkaProducerModule extends ProducerModule<
  Buffer | null,
  KafkaMessageMetadata,
  never
> {
  /**
   * Routes each partition to one processor (ordering 'partition'), or each
   * message to the processor the producer picked for it (ordering 'key').
   */
  readonly partitionBy: PartitionBy;
  /** Partitions halted by `onFailure: 'halt'`, across this pipeline's members. */
  halted(): HaltedPartition[];
  /**
   * Resumes halted partitions (all, or those matching `filter`): the message
   * that failed is handled again first, then the rest in order. Returns how
   * many partitions were resumed.
   */
  resume(filter?: { readonly topic?: string; readonly partition?: number }): number;
}

const KAFKAJS_DEPRECATION = 'SLUICE_DEP_KAFKA_CLIENT_KAFKAJS';
const KAFKAJS_DEPRECATED =
  "kafka producer client 'kafkajs' is deprecated: kafkajs is unmaintained and speaks only the classic group protocol; use client: 'platformatic' (the default; npm install @platformatic/kafka@^1.35.0)";
/** Whether a pipeline's log has had the kafkajs warning (once per process). */
let kafkaJsLogged = false;

/**
 * A source reading `topics` as consumer group `groupId`. Messages carry the
 * record's value as `data` (a Buffer, or null), `metadata` with topic,
 * partition, offset, key, timestamp and headers, the id
 * `topic/partition/offset`, and the batch key `topic/partition`.
 *
 * @example
 * ```ts
 * const orders = kafkaProducer({ groupId: 'billing', topics: ['orders'], ordering: 'key' });
 * createPipeline({ name: 'billing', producer: { module: orders }, processors: { default: { concurrency: 50 } }, … });
 * ```
 */
export function kafkaProducer(options: KafkaProducerOptions): KafkaProducerModule {
  const o = resolveKafkaOptions(options);
  // A missing library is reported here, where the producer is written, not at start.
  if (o.client === 'kafkajs') {
    loadKafkaJs();
    warnDeprecated(KAFKAJS_DEPRECATION, KAFKAJS_DEPRECATED);
  }
  if (o.client === 'platformatic') loadPlatformatic();
  const members: KafkaConsumer[] = [];
  let client: KafkaClient | undefined = typeof o.client === 'string' ? undefined : o.client;
  const getClient = (): KafkaClient => (client ??= buildClient(o));
  const topicIndex = new Map(o.topics.map((t, i) => [t, i]));
  const partitionBy: PartitionBy =
    o.ordering === 'key'
      ? // The consumer picked the processor (processor-slots.ts): the least busy one.
        (m: Message) => (m.ackData as Entry).processor
      : (m: Message) => {
          const meta = m.metadata as unknown as KafkaMessageMetadata;
          return meta.partition + 7919 * (topicIndex.get(meta.topic) ?? 0);
        };

  return {
    partitionBy,
    async prepareForStart(context) {
      const { logger } = context;
      if (o.client === 'kafkajs' && !kafkaJsLogged) {
        kafkaJsLogged = true;
        logger.warn({ code: KAFKAJS_DEPRECATION }, KAFKAJS_DEPRECATED);
      }
      const timed = (operation: string) =>
        ({ broker: 'kafka', operation, timeoutMs: o.requestTimeout }) as const;
      const admin = await openWithTimeout(
        timed('connect (admin)'),
        () => getClient().admin(),
        (a) => a.close(),
      );
      try {
        const existing = new Set(await withTimeout(timed('list topics'), () => admin.listTopics()));
        const wanted = o.dlq === undefined ? o.topics : [...o.topics, o.dlq.topic];
        const missing = wanted.filter((t) => !existing.has(t));
        if (missing.length > 0) {
          throw new BrokerError(
            'ERR_TOPIC_NOT_FOUND',
            'kafka',
            `Kafka topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist (kafka producer for group ${o.groupId}; create ${missing.length > 1 ? 'them' : 'it'} first)`,
          );
        }
      } finally {
        await withTimeout(timed('disconnect (admin)'), () => admin.close()).catch(() => undefined);
      }
      const checkProtocol = getClient().checkGroupProtocol?.bind(getClient());
      if (checkProtocol !== undefined) {
        await withTimeout(timed('check groupProtocol'), () =>
          checkProtocol(o.groupId, o.groupProtocol),
        );
      }
      const stopBacklog = pollKafkaBacklog(context, {
        openAdmin: () => getClient().admin(),
        groupId: o.groupId,
        topics: o.topics,
        fromBeginning: o.fromBeginning,
        timeoutMs: o.requestTimeout,
      });
      return async () => {
        stopBacklog();
        const running = members.splice(0);
        await Promise.all(
          running.map((m) =>
            m.finish().catch((error: unknown) => {
              logger.warn({ err: error }, 'kafka: final commit or leave failed');
            }),
          ),
        );
      };
    },
    init(context) {
      const d = context.definition.processor;
      const bound =
        o.maxBufferedPerPartition ?? Math.min(10_000, Math.max(100, d.concurrency * d.maxDemand));
      const byteBound =
        o.maxBufferedPerPartition === undefined ? 2 * o.fetch.maxBytesPerPartition : undefined;
      const member = new KafkaConsumer({
        pipeline: context.pipeline,
        index: context.index,
        logger: context.logger,
        client: getClient(),
        options: o,
        bound,
        byteBound,
        shutdownTimeout: context.definition.shutdownTimeout,
        processors: { count: d.concurrency, routed: d.partitionBy === partitionBy },
        emit: (messages) => context.emit(messages),
      });
      members.push(member);
      member.start();
      return {
        handleDemand: (demand) => member.handleDemand(demand),
        prepareForDraining: () => member.prepareForDraining(),
        unconfirmed: () => member.unconfirmed(),
        connected: () => member.connected(),
        // Key mode picks processors itself: it must know the new count.
        resized: (definition) => member.slots?.resize(definition.processor.concurrency),
      };
    },
    halted: () => members.flatMap((m) => m.halted()),
    resume: (filter) => members.reduce((n, m) => n + m.resume(filter), 0),
  };
}

/** The client the options name, connected as they say. */
function buildClient(o: ResolvedKafkaOptions): KafkaClient {
  const config = {
    clientId: o.clientId,
    // Defined: the options require brokers (or KAFKA_BROKERS) when no client is given.
    brokers: [...(o.brokers ?? [])],
    ...(o.ssl !== undefined && { ssl: o.ssl as never }),
    ...(o.sasl !== undefined && { sasl: o.sasl as never }),
  };
  return o.client === 'platformatic' ? new PlatformaticClient(config) : new KafkaJsClient(config);
}

/**
 * {@link kafkaProducer} under the name most Node.js tools use: it is a
 * *source* that consumes topics as a consumer group. "Producer" is
 * Broadway's word (it produces messages for the pipeline), not a Kafka
 * producer; both names are the same function.
 */
export const kafkaSource = kafkaProducer;
