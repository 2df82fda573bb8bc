/**
 * What `sluice dry-run` checks, one probe per source and sink of a
 * pipeline file. A probe connects and asks the service whether the
 * destination or source exists (a topic, a queue, a table), and reads or
 * writes no message. Each resolves with a line saying what it reached, or
 * rejects saying why not.
 */
import { access, constants } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { PipelineConfig } from '../config/schema.ts';
import { batcherSink } from '../sinks.ts';

/** One thing to reach: what it is, and how to check it. */
export interface Probe {
  readonly label: string;
  /** Resolves with what was reached, or `undefined` when there was nothing to reach. */
  readonly run: () => Promise<string | undefined>;
}

type Producer = PipelineConfig['producer'];

/** The probe of the pipeline's source. */
export function sourceProbe(producer: Producer): Probe {
  const label = `source ${producer.type}`;
  const p = producer as Record<string, unknown>;
  switch (producer.type) {
    case 'generator':
    case 'stdin':
      return { label, run: () => Promise.resolve(undefined) };
    case 'file':
      return {
        label,
        run: async () => {
          await access(String(p['path']), constants.R_OK);
          return `${String(p['path'])} is readable`;
        },
      };
    case 'sqs':
      return {
        label,
        run: async () => {
          const { AwsSqsClient } = await import('@sluice/producers/sqs');
          const given = p['client'];
          const sqs = new AwsSqsClient(typeof given === 'object' && given !== null ? given : {});
          try {
            await sqs.getQueueAttributes(String(p['queueUrl']), ['QueueArn']);
            return `queue ${String(p['queueUrl'])}`;
          } finally {
            sqs.close();
          }
        },
      };
    case 'kafka':
      return {
        label,
        run: async () => {
          const { KafkaJsClient, PlatformaticClient } = await import('@sluice/producers/kafka');
          const config = {
            clientId: (p['clientId'] as string | undefined) ?? 'sluice',
            ...(p['brokers'] !== undefined && { brokers: [...(p['brokers'] as string[])] }),
            ...(p['ssl'] !== undefined && { ssl: p['ssl'] as never }),
            ...(p['sasl'] !== undefined && { sasl: p['sasl'] as never }),
          };
          const client =
            p['client'] === 'platformatic'
              ? new PlatformaticClient(config)
              : new KafkaJsClient(config);
          const admin = await client.admin();
          try {
            const existing = new Set(await admin.listTopics());
            const topics = p['topics'] as string[];
            const missing = topics.filter((t) => !existing.has(t));
            if (missing.length > 0) throw new Error(`no topic ${missing.join(', ')}`);
            return `topics ${topics.join(', ')}`;
          } finally {
            await admin.close();
          }
        },
      };
    case 'rabbitmq':
      return {
        label,
        run: async () => {
          const { AmqplibClient } = await import('@sluice/producers/rabbitmq');
          const url = (p['url'] as string | undefined) ?? process.env['AMQP_URL'] ?? '';
          const connection = await new AmqplibClient().connect(url);
          try {
            const channel = await connection.createChannel();
            const info = await channel.checkQueue(String(p['queue']));
            await channel.close();
            return `queue ${String(p['queue'])} (${info.messageCount} ready)`;
          } finally {
            await connection.close();
          }
        },
      };
    case 'redis':
      return tcpProbe(label, (p['url'] as string | undefined) ?? process.env['REDIS_URL'], 6379);
    case 'nats': {
      const servers = (p['servers'] as string[] | undefined) ?? process.env['NATS_URL']?.split(',');
      return tcpProbe(label, servers?.[0], 4222);
    }
  }
}

/** The probes of the file-level sink and of every batcher's sink. */
export function sinkProbes(config: PipelineConfig): Probe[] {
  const probes: Probe[] = [];
  if (config.sink?.type === 'file') {
    const path = config.sink.path;
    probes.push({
      label: 'sink file',
      run: async () => {
        await access(dirname(path), constants.W_OK);
        return `${path} can be written`;
      },
    });
  }
  for (const [name, batcher] of Object.entries(config.batchers ?? {})) {
    const sinkConfig = (batcher as { sink?: Parameters<typeof batcherSink>[0] }).sink;
    if (sinkConfig === undefined || sinkConfig.type === 'stdout') continue;
    probes.push({
      label: `batcher ${name}: sink ${sinkConfig.type}`,
      run: async () => {
        const sink = await batcherSink(sinkConfig);
        try {
          if (sink.probe === undefined) {
            if (sinkConfig.type === 'file') {
              await access(dirname(sinkConfig.path), constants.W_OK);
              return `${sink.name} can be written`;
            }
            return undefined;
          }
          await sink.probe();
          return sink.name;
        } finally {
          await sink.close();
        }
      },
    });
  }
  return probes;
}

/** A TCP connection to the URL's host and port: the server answers, nothing is said to it. */
function tcpProbe(label: string, url: string | undefined, defaultPort: number): Probe {
  return {
    label,
    run: () =>
      new Promise((resolve, reject) => {
        if (url === undefined) return reject(new Error('no URL given'));
        const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
        const host = parsed.hostname;
        const port = parsed.port === '' ? defaultPort : Number(parsed.port);
        const socket = connect({ host, port }, () => {
          socket.destroy();
          resolve(`${host}:${port} accepts connections (not checked further)`);
        });
        socket.on('error', reject);
      }),
  };
}
