/**
 * The KEDA trigger for a pipeline's broker: which scaler watches its
 * backlog, on which queue, topic or stream, and at what threshold per
 * replica. A value the pipeline file takes whole from `${VAR}` is passed as
 * the scaler's `…FromEnv` key (KEDA reads it from the Deployment's
 * container), so no broker address or secret is copied into the manifest.
 */
import type { PipelineConfig } from '../config/schema.ts';

/** The pipeline's producer is no broker KEDA can watch (a file, stdin, a generator). */
export class NoScalerError extends Error {}

/** One KEDA trigger: a scaler `type` and its `metadata`. */
export interface KedaTrigger {
  readonly type: string;
  /** The Prometheus backlog metric's `broker` label this trigger watches (same names). */
  readonly broker: string;
  /** The queue, topic or stream, as the backlog metric's `destination` label. */
  readonly destination: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Environment variables KEDA reads from the container (`…FromEnv`): the Deployment sets them. */
  readonly env: readonly string[];
}

/** How to tell a value the file took whole from one environment variable. */
export type EnvOf = (path: readonly (string | number)[]) => string | undefined;

/** What the trigger needs besides the file. */
export interface TriggerOptions {
  /** Backlog per replica that makes KEDA add one. */
  readonly threshold: number;
  /** NATS only: the server's HTTP monitoring endpoint (`host:8222`). */
  readonly natsMonitoring?: string | undefined;
}

/**
 * Messages one replica holds when it runs flat out: every processor's
 * demand (`concurrency × maxDemand`) plus every batcher's open batches
 * (`concurrency × batchSize`). A backlog above that per replica is work a
 * replica cannot even take in yet, the point where another one helps.
 */
export function backlogPerReplica(config: PipelineConfig): number {
  let total = 0;
  for (const p of Object.values(config.processors)) total += p.concurrency * p.maxDemand;
  // A file-level sink's implicit batcher is `{}`: core's defaults (1 × 100).
  const batchers = Object.values(config.batchers ?? {}) as {
    concurrency?: number;
    batchSize?: unknown;
  }[];
  for (const b of batchers) {
    total += (b.concurrency ?? 1) * (typeof b.batchSize === 'number' ? b.batchSize : 100);
  }
  return Math.max(1, total);
}

/** `{ key: value }`, or `{ keyFromEnv: VAR }` when the file took the value from `${VAR}`. */
function pick(
  key: string,
  value: string | undefined,
  env: string | undefined,
): Record<string, string> {
  if (env !== undefined) return { [`${key}FromEnv`]: env };
  return value === undefined ? {} : { [key]: value };
}

/** The variables a trigger's `…FromEnv` keys name. */
function fromEnv(metadata: Readonly<Record<string, string>>): string[] {
  return Object.entries(metadata)
    .filter(([k]) => k.endsWith('FromEnv'))
    .map(([, v]) => v);
}

/** The KEDA trigger for the file's producer; throws for a producer no scaler watches. */
export function kedaTrigger(config: PipelineConfig, envOf: EnvOf, o: TriggerOptions): KedaTrigger {
  const t = trigger(config, envOf, o);
  return { ...t, env: fromEnv(t.metadata) };
}

function trigger(
  config: PipelineConfig,
  envOf: EnvOf,
  o: TriggerOptions,
): Omit<KedaTrigger, 'env'> {
  const p = config.producer;
  const threshold = String(o.threshold);
  switch (p.type) {
    case 'sqs': {
      const region = /sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(p.queueUrl)?.[1];
      const local = !/amazonaws\.com/.test(p.queueUrl);
      return {
        type: 'aws-sqs-queue',
        broker: 'sqs',
        destination: p.queueUrl.slice(p.queueUrl.lastIndexOf('/') + 1),
        metadata: {
          ...pick('queueURL', p.queueUrl, envOf(['producer', 'queueUrl'])),
          queueLength: threshold,
          awsRegion: region ?? 'us-east-1',
          ...(local && { awsEndpoint: new URL(p.queueUrl).origin }),
        },
      };
    }
    case 'kafka': {
      const topics = p.topics;
      return {
        type: 'kafka',
        broker: 'kafka',
        destination: topics.join(','),
        metadata: {
          ...(p.brokers === undefined
            ? { bootstrapServersFromEnv: 'KAFKA_BROKERS' }
            : pick('bootstrapServers', p.brokers.join(','), envOf(['producer', 'brokers', 0]))),
          consumerGroup: p.groupId,
          // KEDA sums lag over one topic, or over every topic of the group without one.
          ...(topics.length === 1 && { topic: topics[0] as string }),
          lagThreshold: threshold,
          offsetResetPolicy: p.fromBeginning ? 'earliest' : 'latest',
        },
      };
    }
    case 'rabbitmq':
      return {
        type: 'rabbitmq',
        broker: 'rabbitmq',
        destination: p.queue,
        metadata: {
          protocol: 'amqp',
          queueName: p.queue,
          mode: 'QueueLength',
          value: threshold,
          hostFromEnv: envOf(['producer', 'url']) ?? 'AMQP_URL',
        },
      };
    case 'redis':
      return {
        type: 'redis-streams',
        broker: 'redis',
        destination: p.stream,
        metadata: {
          ...redisAddress(p.url),
          stream: p.stream,
          consumerGroup: p.group,
          lagCount: threshold,
        },
      };
    case 'nats': {
      const monitoring = o.natsMonitoring ?? natsMonitoring(p.servers);
      return {
        type: 'nats-jetstream',
        broker: 'nats',
        destination: p.stream,
        metadata: {
          natsServerMonitoringEndpoint: monitoring,
          account: '$G',
          stream: p.stream,
          consumer: p.consumer,
          lagThreshold: threshold,
        },
      };
    }
    default:
      throw new NoScalerError(
        `producer type '${p.type}' has no broker for KEDA to watch: sluice k8s needs sqs, kafka, rabbitmq, redis or nats`,
      );
  }
}

/** KEDA's redis-streams scaler takes `host:port`, and the password apart (from REDIS_PASSWORD). */
function redisAddress(url: string | undefined): Record<string, string> {
  if (url === undefined) return { addressFromEnv: 'REDIS_ADDRESS' };
  const u = new URL(url);
  return {
    address: `${u.hostname}:${u.port || '6379'}`,
    ...(u.password !== '' && { passwordFromEnv: 'REDIS_PASSWORD' }),
    ...(u.protocol === 'rediss:' && { enableTLS: 'true' }),
  };
}

/** The first NATS server's host, on the monitoring port 8222. */
function natsMonitoring(servers: unknown): string {
  const first = (Array.isArray(servers) ? servers[0] : servers) as string | undefined;
  if (first === undefined) return 'nats:8222';
  const host = new URL(first.includes('://') ? first : `nats://${first}`).hostname;
  return `${host}:8222`;
}
