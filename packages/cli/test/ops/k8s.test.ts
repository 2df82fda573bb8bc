/**
 * `sluice k8s`: the printed manifests parse as YAML and carry the right
 * fields, for each broker, checked field by field; bad files and flags fail
 * with a clear message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { sluice } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Writes `body` as `<name>.yaml`, runs `sluice k8s`, parses its stdout. */
async function manifests(
  name: string,
  body: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<{ deployment: Manifest; scaledObject: Manifest }> {
  writeFileSync(join(dir, `${name}.yaml`), body);
  const r = await sluice(['k8s', ...args, `${name}.yaml`], dir, { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const docs = parseAllDocuments(r.stdout);
  expect(docs.map((d) => d.errors)).toEqual([[], []]);
  const [deployment, scaledObject] = docs.map((d) => d.toJS() as Manifest);
  return { deployment: deployment as Manifest, scaledObject: scaledObject as Manifest };
}

const PROCESSING = [
  'processors: { default: { concurrency: 4, maxDemand: 10 } }',
  'batchers: { db: { batchSize: 20, concurrency: 3 } }',
  'sink: { type: stdout }',
].join('\n');
/** 4 × 10 + 3 × 20: what one replica holds. */
const PER_REPLICA = '100';

/** The pod's one container. */
function container(d: Manifest) {
  const template = d.spec['template'] as {
    spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] };
  };
  return { pod: template.spec, c: template.spec.containers[0] as Record<string, unknown> };
}

// Each case spawns the CLI (about a second each on a loaded machine).
describe('sluice k8s', { timeout: 60_000 }, () => {
  it('prints a Deployment wired to the admin server and an SQS ScaledObject', async () => {
    const { deployment, scaledObject } = await manifests(
      'orders',
      [
        'name: orders',
        'producer:',
        '  type: sqs',
        '  queueUrl: ${QUEUE_URL}',
        '  onFailure: deadLetter',
        '  deadLetterQueueUrl: ${DLQ_URL:-https://sqs.eu-west-1.amazonaws.com/1/orders-dlq}',
        'shutdownTimeout: 20s',
        PROCESSING,
      ].join('\n'),
      ['--image', 'reg.example/orders:1.2', '--namespace', 'shop', '--admin-port', '9500'],
      { QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' },
    );
    expect(deployment.apiVersion).toBe('apps/v1');
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.metadata.name).toBe('orders');
    expect(deployment.metadata.namespace).toBe('shop');
    expect(deployment.spec['replicas']).toBe(1);
    const { pod, c } = container(deployment);
    // The drain and then teardown, each up to 20 s, plus 10 s.
    expect(pod.terminationGracePeriodSeconds).toBe(50);
    expect(c['image']).toBe('reg.example/orders:1.2');
    expect(c['command']).toEqual(['sluice', 'run', 'orders.yaml', '--admin-port', '9500']);
    expect(c['ports']).toEqual([{ name: 'admin', containerPort: 9500 }]);
    expect(c['livenessProbe']).toMatchObject({ httpGet: { path: '/livez', port: 'admin' } });
    expect(c['readinessProbe']).toMatchObject({ httpGet: { path: '/readyz', port: 'admin' } });
    expect(c['env']).toEqual([
      { name: 'SLUICE_ADMIN_HOST', value: '0.0.0.0' },
      {
        name: 'SLUICE_ADMIN_TOKEN',
        valueFrom: { secretKeyRef: { name: 'orders-env', key: 'SLUICE_ADMIN_TOKEN' } },
      },
      {
        name: 'QUEUE_URL',
        valueFrom: { secretKeyRef: { name: 'orders-env', key: 'QUEUE_URL' } },
      },
      {
        name: 'DLQ_URL',
        valueFrom: { secretKeyRef: { name: 'orders-env', key: 'DLQ_URL', optional: true } },
      },
    ]);
    expect(scaledObject.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaledObject.kind).toBe('ScaledObject');
    expect(scaledObject.metadata.namespace).toBe('shop');
    expect(scaledObject.metadata.annotations?.['sluice.dev/backlog-metric']).toBe(
      'sluice_backlog{pipeline="orders",broker="sqs",destination="orders"}',
    );
    expect(scaledObject.spec['scaleTargetRef']).toEqual({ name: 'orders' });
    expect(scaledObject.spec['minReplicaCount']).toBe(1);
    expect(scaledObject.spec['maxReplicaCount']).toBe(10);
    expect(scaledObject.spec['triggers']).toEqual([
      {
        type: 'aws-sqs-queue',
        name: 'backlog',
        metadata: {
          queueURLFromEnv: 'QUEUE_URL',
          queueLength: PER_REPLICA,
          awsRegion: 'eu-west-1',
        },
      },
    ]);
  });

  it('watches a Kafka group lag, with the threshold and replicas from the flags', async () => {
    const { deployment, scaledObject } = await manifests(
      'clicks',
      [
        'name: Clicks_Stream',
        'producer:',
        '  type: kafka',
        '  brokers: [kafka-0:9092, kafka-1:9092]',
        '  groupId: clicks',
        '  topics: [clicks]',
        PROCESSING,
      ].join('\n'),
      ['--replicas', '2', '--min-replicas', '0', '--max-replicas', '12', '--threshold', '500'],
    );
    expect(deployment.metadata.name).toBe('clicks-stream');
    expect(deployment.spec['replicas']).toBe(2);
    // Core's default shutdownTimeout, 10 s: 2 × 10 + 10.
    expect(container(deployment).pod.terminationGracePeriodSeconds).toBe(30);
    expect(scaledObject.spec['minReplicaCount']).toBe(0);
    expect(scaledObject.spec['maxReplicaCount']).toBe(12);
    expect(scaledObject.spec['triggers']).toEqual([
      {
        type: 'kafka',
        name: 'backlog',
        metadata: {
          bootstrapServers: 'kafka-0:9092,kafka-1:9092',
          consumerGroup: 'clicks',
          topic: 'clicks',
          lagThreshold: '500',
          offsetResetPolicy: 'latest',
        },
      },
    ]);
    expect(scaledObject.metadata.annotations?.['sluice.dev/backlog-metric']).toBe(
      'sluice_backlog{pipeline="Clicks_Stream",broker="kafka",destination="clicks"}',
    );
  });

  it('watches a RabbitMQ queue length, its URL from the container env', async () => {
    const { deployment, scaledObject } = await manifests(
      'mails',
      [
        'name: mails',
        'producer:',
        '  type: rabbitmq',
        '  url: ${RABBIT_URL}',
        '  queue: mails',
        PROCESSING,
      ].join('\n'),
      [],
      { RABBIT_URL: 'amqp://guest:guest@127.0.0.1:5672' },
    );
    expect(scaledObject.spec['triggers']).toEqual([
      {
        type: 'rabbitmq',
        name: 'backlog',
        metadata: {
          protocol: 'amqp',
          queueName: 'mails',
          mode: 'QueueLength',
          value: PER_REPLICA,
          hostFromEnv: 'RABBIT_URL',
        },
      },
    ]);
    const names = (container(deployment).c['env'] as { name: string }[]).map((e) => e.name);
    expect(names).toContain('RABBIT_URL');
  });

  it('watches a Redis stream lag and a NATS JetStream consumer lag', async () => {
    const redis = await manifests(
      'events',
      [
        'name: events',
        'producer:',
        '  type: redis',
        '  url: redis://cache:6380/0',
        '  stream: events',
        '  group: workers',
        PROCESSING,
      ].join('\n'),
    );
    expect(redis.scaledObject.spec['triggers']).toEqual([
      {
        type: 'redis-streams',
        name: 'backlog',
        metadata: {
          address: 'cache:6380',
          stream: 'events',
          consumerGroup: 'workers',
          lagCount: PER_REPLICA,
        },
      },
    ]);
    const nats = await manifests(
      'jobs',
      [
        'name: jobs',
        'producer:',
        '  type: nats',
        '  servers: nats://nats.messaging:4222',
        '  stream: JOBS',
        '  consumer: workers',
        PROCESSING,
      ].join('\n'),
    );
    expect(nats.scaledObject.spec['triggers']).toEqual([
      {
        type: 'nats-jetstream',
        name: 'backlog',
        metadata: {
          natsServerMonitoringEndpoint: 'nats.messaging:8222',
          account: '$G',
          stream: 'JOBS',
          consumer: 'workers',
          lagThreshold: PER_REPLICA,
        },
      },
    ]);
  });

  it('refuses an invalid file, a producer KEDA cannot watch, and bad flags, saying why', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nproducer:\n  type: sqs\n  queueUrl: 12\n');
    const bad = await sluice(['k8s', 'bad.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/bad\.yaml:4:\d+: producer\.queueUrl: /);

    writeFileSync(join(dir, 'gen.yaml'), 'name: gen\nproducer: { type: generator, count: 1 }\n');
    const gen = await sluice(['k8s', 'gen.yaml'], dir);
    expect(gen.code).toBe(2);
    expect(gen.stderr).toContain("producer type 'generator' has no broker for KEDA to watch");

    const flag = await sluice(['k8s', '--max-replicas', 'many', 'gen.yaml'], dir);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(
      "--max-replicas: expected a whole number from 1 to 10000, got 'many'",
    );

    const missing = await sluice(['k8s', 'nowhere.yaml'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere.yaml');
  });

  it('explains k8s and dlq with examples, and refuses a dlq action it does not know', async () => {
    for (const command of ['k8s', 'dlq']) {
      const help = await sluice([command, '--help'], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: sluice /);
      expect(help.stdout).toMatch(/Examples?:/);
    }
    const main = await sluice(['--help'], dir);
    expect(main.stdout).toContain('k8s <file>');
    expect(main.stdout).toContain('dlq <action> <file>');
    const bad = await sluice(['dlq', 'drop', 'p.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "sluice dlq: expected an action (list, show, replay, purge) and one pipeline file, got 'drop' 'p.yaml'",
    );
    writeFileSync(join(dir, 'gen2.yaml'), 'name: gen\nproducer: { type: generator, count: 1 }\n');
    const gen = await sluice(['dlq', 'list', 'gen2.yaml'], dir);
    expect(gen.code).toBe(2);
    expect(gen.stderr).toContain(
      "sluice dlq list: producer type 'generator': sluice dlq works with sqs, kafka and rabbitmq dead letters",
    );
  });
});
