/**
 * Is a broker there? Probes, waits, and decides whether broker tests run,
 * skip or fail.
 *
 * A probe first opens a TCP connection to the broker's address (fast, and
 * loads no client library), then makes one real request through the
 * producers' adapters: ListQueues for SQS, a metadata request for Kafka, a
 * connection handshake for RabbitMQ.
 *
 * Broker tests run when their broker answers. When it does not, they skip
 * with one line saying what is missing and how to start it, unless
 * `SLUICE_REQUIRE_BROKERS=1`: then they fail with that line.
 */
import { connect } from 'node:net';
import { redactUrl } from '@sluice/core';
import { BrokerError, type BrokerKind } from '../errors.ts';
import { redisUrlFromEnv } from '../redis/env.ts';
import { brokerEnv } from './env.ts';

export type { BrokerKind };

/** Environment variables, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where a broker is expected, from `SQS_ENDPOINT`, `KAFKA_BROKERS` or `AMQP_URL`. */
export interface BrokerTarget {
  readonly kind: BrokerKind;
  /** `SQS`, `Kafka` or `RabbitMQ`. */
  readonly label: string;
  /** The address for messages (password hidden): `127.0.0.1:9092`, `http://127.0.0.1:9324`. */
  readonly address: string;
  /** Host and port of each bootstrap address. */
  readonly endpoints: readonly { readonly host: string; readonly port: number }[];
  /** Its service in docker-compose.yml. */
  readonly service: string;
}

/** The result of one {@link probeBroker}. `refused`: nothing accepted a TCP connection. */
export type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly refused: boolean; readonly reason: string };

/** Whether broker tests run, skip or fail, and the line to print when they do not run. */
export type BrokerTestDecision =
  { readonly action: 'run' } | { readonly action: 'skip' | 'fail'; readonly message: string };

/** Options shared by the probing functions. */
export interface ProbeOptions {
  /** @defaultValue `process.env` */
  readonly env?: Env;
  /** Limit for one probe, TCP and request together. @defaultValue 3000 */
  readonly timeoutMs?: number;
}

/** Where the broker of `kind` is expected, read from `env`. */
export function brokerTarget(kind: BrokerKind, env: Env = process.env): BrokerTarget {
  const addresses = brokerEnv(env);
  switch (kind) {
    case 'sqs': {
      const url = new URL(addresses.sqsEndpoint);
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      return {
        kind,
        label: 'SQS',
        address: addresses.sqsEndpoint,
        endpoints: [{ host: unbracket(url.hostname), port }],
        service: 'elasticmq',
      };
    }
    case 'kafka':
      return {
        kind,
        label: 'Kafka',
        address: addresses.kafkaBrokers.join(','),
        endpoints: addresses.kafkaBrokers.map(hostPort),
        service: 'kafka',
      };
    case 'rabbitmq': {
      const url = new URL(addresses.amqpUrl);
      const port = Number(url.port) || (url.protocol === 'amqps:' ? 5671 : 5672);
      return {
        kind,
        label: 'RabbitMQ',
        address: redactUrl(addresses.amqpUrl),
        endpoints: [{ host: unbracket(url.hostname), port }],
        service: 'rabbitmq',
      };
    }
    case 'redis': {
      const raw = redisUrlFromEnv(env);
      const url = new URL(raw);
      return {
        kind,
        label: 'Redis',
        address: redactUrl(raw),
        endpoints: [{ host: unbracket(url.hostname), port: Number(url.port) || 6379 }],
        service: 'redis',
      };
    }
    case 'nats': {
      const url = new URL(addresses.natsUrl);
      return {
        kind,
        label: 'NATS',
        address: redactUrl(addresses.natsUrl),
        endpoints: [{ host: unbracket(url.hostname), port: Number(url.port) || 4222 }],
        service: 'nats',
      };
    }
  }
}

/** True when `SLUICE_REQUIRE_BROKERS` is `1` (or `true`): broker tests must not skip. */
export function brokersRequired(env: Env = process.env): boolean {
  const value = env['SLUICE_REQUIRE_BROKERS']?.trim().toLowerCase();
  return value === '1' || value === 'true';
}

/**
 * Checks once whether the broker of `kind` answers. Never rejects.
 *
 * @example
 * ```ts
 * const probe = await probeBroker('kafka'); // { ok: false, refused: true, reason: 'connect ECONNREFUSED 127.0.0.1:9092' }
 * ```
 */
export async function probeBroker(
  kind: BrokerKind,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 3000;
  const target = brokerTarget(kind, env);
  let tcpError = 'no address';
  let open = false;
  for (const endpoint of target.endpoints) {
    try {
      await tcpConnect(endpoint.host, endpoint.port, timeoutMs);
      open = true;
      break;
    } catch (error) {
      tcpError = error instanceof Error ? error.message : String(error);
    }
  }
  if (!open) return { ok: false, refused: true, reason: tcpError };
  try {
    await withTimeout(request(kind, env, timeoutMs), timeoutMs, `no answer within ${timeoutMs} ms`);
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      refused: false,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}

/** True when the broker of `kind` answers a probe now. */
export async function brokerAvailable(
  kind: BrokerKind,
  options: ProbeOptions = {},
): Promise<boolean> {
  return (await probeBroker(kind, options)).ok;
}

/** Options of {@link waitForBroker}. */
export interface WaitForBrokerOptions extends ProbeOptions {
  /** Give up after this long. @defaultValue 30000 */
  readonly waitMs?: number;
  /** Pause between probes. @defaultValue 250 */
  readonly intervalMs?: number;
}

/**
 * Probes until the broker of `kind` answers. Rejects with a `BrokerError`
 * (`ERR_BROKER_UNREACHABLE`) naming the broker and the last failure once
 * `waitMs` has passed.
 *
 * @example
 * ```ts
 * beforeAll(() => waitForBroker('rabbitmq', { waitMs: 10_000 }));
 * ```
 */
export async function waitForBroker(
  kind: BrokerKind,
  options: WaitForBrokerOptions = {},
): Promise<void> {
  const waitMs = options.waitMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const probe = await probeBroker(kind, {
      ...options,
      timeoutMs: Math.max(1, Math.min(options.timeoutMs ?? 3000, deadline - Date.now())),
    });
    if (probe.ok) return;
    if (Date.now() + intervalMs > deadline) {
      const target = brokerTarget(kind, options.env);
      throw new BrokerError(
        'ERR_BROKER_UNREACHABLE',
        kind,
        `${target.label} at ${target.address} did not answer within ${waitMs} ms: ${probe.reason}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Options of {@link decideBrokerTests} and {@link checkBroker}. */
export interface BrokerTestOptions {
  /** @defaultValue `process.env` */
  readonly env?: Env;
  /**
   * How to start the broker, ending the skip or fail line.
   * @defaultValue ``start one with `npm run brokers:up` or `docker compose up -d <service>` ``
   */
  readonly hint?: string;
}

/**
 * Decides, from a probe result, whether broker tests run, skip or fail. Pure:
 * the environment and the probe are inputs.
 *
 * @example
 * ```ts
 * decideBrokerTests('kafka', { ok: false, refused: true, reason: '…' }, { env: {} });
 * // { action: 'skip', message: '[sluice] skipping Kafka tests: no broker at 127.0.0.1:9092 — start one with …' }
 * ```
 */
export function decideBrokerTests(
  kind: BrokerKind,
  probe: ProbeResult,
  options: BrokerTestOptions = {},
): BrokerTestDecision {
  if (probe.ok) return { action: 'run' };
  const env = options.env ?? process.env;
  const target = brokerTarget(kind, env);
  const problem = probe.refused
    ? `no broker at ${target.address}`
    : `the broker at ${target.address} is not ready (${probe.reason})`;
  const hint =
    options.hint ??
    `start one with \`npm run brokers:up\` or \`docker compose up -d ${target.service}\``;
  return brokersRequired(env)
    ? {
        action: 'fail',
        message: `[sluice] ${target.label} tests need a broker (SLUICE_REQUIRE_BROKERS=1), but there is ${problem} — ${hint}`,
      }
    : { action: 'skip', message: `[sluice] skipping ${target.label} tests: ${problem} — ${hint}` };
}

/** Options of {@link checkBroker}. */
export interface CheckBrokerOptions extends BrokerTestOptions {
  /**
   * How long to wait for the broker before deciding.
   * @defaultValue 5000 with `SLUICE_REQUIRE_BROKERS=1`, else 0 (one probe)
   */
  readonly waitMs?: number;
}

/**
 * Probes the broker of `kind` (waiting up to `waitMs`) and decides whether its
 * tests run, skip or fail. For test runners other than vitest; with vitest,
 * use `describeWithBroker` from `@sluice/producers/testing/vitest`.
 *
 * @example
 * ```ts
 * const decision = await checkBroker('sqs');
 * if (decision.action !== 'run') console.warn(decision.message);
 * ```
 */
export async function checkBroker(
  kind: BrokerKind,
  options: CheckBrokerOptions = {},
): Promise<BrokerTestDecision> {
  const env = options.env ?? process.env;
  const waitMs = options.waitMs ?? (brokersRequired(env) ? 5000 : 0);
  let probe = await probeBroker(kind, { env });
  const deadline = Date.now() + waitMs;
  while (!probe.ok && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    probe = await probeBroker(kind, { env });
  }
  return decideBrokerTests(kind, probe, options);
}

/** One real request through the producers' adapter for `kind`. */
async function request(kind: BrokerKind, env: Env, timeoutMs: number): Promise<void> {
  const addresses = brokerEnv(env);
  switch (kind) {
    case 'sqs': {
      const { AwsSqsClient } = await import('@sluice/producers/sqs');
      const { sqsClientConfigFromEnv } = await import('@sluice/producers/sqs/testing');
      const sqs = new AwsSqsClient({ ...sqsClientConfigFromEnv(env), maxAttempts: 1 });
      try {
        await sqs.listQueues('sluice-probe-');
      } finally {
        sqs.close();
      }
      return;
    }
    case 'kafka': {
      const { KafkaJsClient } = await import('@sluice/producers/kafka');
      const kafka = new KafkaJsClient({
        brokers: [...addresses.kafkaBrokers],
        clientId: 'sluice-probe',
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        retry: { retries: 0 },
      });
      const admin = await kafka.admin();
      try {
        await admin.listTopics();
      } finally {
        await admin.close();
      }
      return;
    }
    case 'rabbitmq': {
      const { AmqplibClient } = await import('@sluice/producers/rabbitmq');
      const rabbit = new AmqplibClient({ socketOptions: { timeout: timeoutMs } });
      const connection = await rabbit.connect(addresses.amqpUrl, {
        connectionName: 'sluice-probe',
      });
      await connection.close();
      return;
    }
    case 'redis': {
      const { NodeRedisClient } = await import('@sluice/producers/redis');
      const redis = new NodeRedisClient(redisUrlFromEnv(env), { connectionName: 'sluice-probe' });
      try {
        await redis.hasGroup('sluice-probe', 'sluice-probe');
      } finally {
        await redis.close();
      }
      return;
    }
    case 'nats': {
      const { NatsJsAdmin } = await import('@sluice/producers/nats');
      const admin = await NatsJsAdmin.connect([addresses.natsUrl], timeoutMs);
      await admin.close();
      return;
    }
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  if (colon < 0) return { host: address, port: 9092 };
  return {
    host: unbracket(address.slice(0, colon)),
    port: Number(address.slice(colon + 1)) || 9092,
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export {
  brokerEnv,
  DEFAULT_AMQP_URL,
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_NATS_URL,
  DEFAULT_SQS_ENDPOINT,
  type BrokerEnv,
} from './env.ts';
