/**
 * `sluice dry-run` against the real services: a RabbitMQ source, Kafka and
 * PostgreSQL sinks, and an HTTP sink whose server is not there. It reports
 * each one, exits 1 when one did not answer, and consumes nothing.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { brokerEnv } from '@sluice/producers/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { postgresUrl, queryPostgres } from '@sluice/sinks/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');

function sluice(args: string[], cwd: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout }));
  });
}

describeWithBroker('rabbitmq', 'sluice dry-run', () => {
  let dir: string;
  let queue: RabbitMqTestQueue;
  let topic: KafkaTestTopic;
  const table = `sluice_dry_${process.pid}_${Date.now()}`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-cli-dry-'));
    queue = await createTestQueue();
    topic = await createTestTopic();
    await queryPostgres(`CREATE TABLE IF NOT EXISTS ${table} (id int PRIMARY KEY)`);
  });
  afterEach(async () => {
    await queue.delete();
    await topic.delete();
    await queryPostgres(`DROP TABLE IF EXISTS ${table}`);
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, sinks: string[]): string => {
    writeFileSync(
      join(dir, name),
      [
        'name: dry',
        'producer:',
        '  type: rabbitmq',
        `  url: ${brokerEnv().amqpUrl}`,
        `  queue: ${queue.name}`,
        'batchers:',
        ...sinks,
        '',
      ].join('\n'),
    );
    return name;
  };
  const kafka = () => [
    '  out:',
    `    sink: { type: kafka, brokers: [${brokerEnv().kafkaBrokers.join(', ')}], topic: ${topic.name} }`,
  ];
  const postgres = () => [
    '  db:',
    `    sink: { type: postgres, url: '${postgresUrl()}', table: ${table}, columns: { id: id } }`,
  ];

  it('reports the source and every sink reached, exits 0, and consumes nothing', async () => {
    await queue.publish(3);
    const { code, stdout } = await sluice(
      ['dry-run', file('ok.yaml', [...kafka(), ...postgres()])],
      dir,
    );
    expect(stdout).toContain(`ok source rabbitmq: queue ${queue.name} (3 ready)`);
    expect(stdout).toContain(`ok batcher out: sink kafka: Kafka topic ${topic.name}`);
    expect(stdout).toContain(`ok batcher db: sink postgres: PostgreSQL table ${table}`);
    expect(stdout).toContain('every source and sink answered (3)');
    expect(code).toBe(0);
    expect(await queue.messageCount()).toBe(3);
    expect(await topic.read()).toEqual([]);
    expect(await queryPostgres(`SELECT id FROM ${table}`)).toEqual([]);
  });

  /** A loopback port nobody listens on: one a server just gave back. */
  const closedPort = () =>
    new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => done(port));
      });
    });

  it('names what could not be reached and exits 1', async () => {
    const port = await closedPort();
    const { code, stdout } = await sluice(
      [
        'dry-run',
        file('bad.yaml', [
          ...postgres(),
          '  hook:',
          `    sink: { type: http, url: 'http://127.0.0.1:${port}/ingest' }`,
          '  gone:',
          `    sink: { type: kafka, topic: ${topic.name}-missing, brokers: [${brokerEnv().kafkaBrokers.join(', ')}] }`,
        ]),
      ],
      dir,
    );
    expect(stdout).toContain(`ok batcher db: sink postgres`);
    expect(stdout).toMatch(
      new RegExp(
        `FAIL batcher hook: sink http: HTTP POST http://127.0.0.1:${port}/ingest: .*ECONNREFUSED`,
      ),
    );
    expect(stdout).toContain(
      `FAIL batcher gone: sink kafka: Kafka topic ${topic.name}-missing: the topic does not exist`,
    );
    expect(stdout).toContain('2 of 4 could not be reached');
    expect(code).toBe(1);
  });
});
