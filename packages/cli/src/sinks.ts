/**
 * The sinks a pipeline file names, as `@sluice/sinks` Sinks: `stdout` and
 * `file` write each message's data as a JSON line (bytes as text when they
 * are UTF-8, else as base64); `kafka`, `sqs`, `rabbitmq`, `postgres` and `http` are the package's own,
 * imported when a pipeline that uses them is built.
 */
import { appendFile } from 'node:fs/promises';
import type { Message, PipelineDefinition } from '@sluice/core';
import { sinkHandler, WRITTEN, type Sink } from '@sluice/sinks';
import type { BatcherSinkConfig } from './config/sink-schema.ts';

export type SinkConfig =
  { readonly type: 'stdout' } | { readonly type: 'file'; readonly path: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes (a Kafka value, a RabbitMQ body) as a JSON string when they are
 * valid UTF-8, else as `{ "base64": … }`; anything else as it is.
 */
function printable(data: unknown): unknown {
  if (!(data instanceof Uint8Array)) return data;
  try {
    return utf8.decode(data);
  } catch {
    return {
      base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    };
  }
}

/** One JSON line per message: its data, serialized (a string becomes a JSON string). */
const line = (m: Message): string => `${JSON.stringify(printable(m.data))}\n`;

/** The stdout or file sink: a batch is written whole, or its write rejects (failing it). */
export function lineSink(config: SinkConfig): Sink {
  const text = (messages: readonly Message[]): string => messages.map(line).join('');
  const all = (messages: readonly Message[]) => messages.map(() => WRITTEN);
  if (config.type === 'stdout') {
    return {
      name: 'stdout',
      write: (messages) =>
        new Promise((resolve, reject) =>
          process.stdout.write(text(messages), (error) =>
            error ? reject(error) : resolve(all(messages)),
          ),
        ),
      close: async () => {},
    };
  }
  return {
    name: `file ${config.path}`,
    write: async (messages) => {
      await appendFile(config.path, text(messages));
      return all(messages);
    },
    close: async () => {},
  };
}

/** The file-level sink as a `handleBatch`. */
export function sink(config: SinkConfig): NonNullable<PipelineDefinition['handleBatch']> {
  return sinkHandler(lineSink(config));
}

/** A batcher's sink, from its validated `sink:` section (its `type` aside, the sink's own options). */
export async function batcherSink(config: BatcherSinkConfig): Promise<Sink> {
  switch (config.type) {
    case 'stdout':
    case 'file':
      return lineSink(config);
    case 'postgres': {
      const { type: _type, ...options } = config;
      const { postgresSink } = await import('@sluice/sinks/postgres');
      return postgresSink(options);
    }
    case 'http': {
      const { type: _type, ...options } = config;
      const { httpSink } = await import('@sluice/sinks/http');
      return httpSink(options);
    }
    case 'kafka': {
      const { type: _type, ...options } = config;
      const { kafkaSink } = await import('@sluice/sinks/kafka');
      return kafkaSink(options);
    }
    case 'sqs': {
      const { type: _type, ...options } = config;
      const { sqsSink } = await import('@sluice/sinks/sqs');
      return sqsSink(options);
    }
    case 'rabbitmq': {
      const { type: _type, ...options } = config;
      const { rabbitMqSink } = await import('@sluice/sinks/rabbitmq');
      return rabbitMqSink(options);
    }
  }
}
