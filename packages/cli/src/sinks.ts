/**
 * Built-in sinks, used as `handleBatch` when the file names no handler for
 * it: `stdout` and `file` write each message's data as a JSON line.
 * Bytes are written as text when they are UTF-8, else as base64.
 */
import { appendFileSync } from 'node:fs';
import type { Message, PipelineDefinition } from '@sluice/core';

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

export function sink(config: SinkConfig): NonNullable<PipelineDefinition['handleBatch']> {
  if (config.type === 'stdout') {
    return (_batcher, messages) => {
      process.stdout.write(messages.map(line).join(''));
      return messages;
    };
  }
  return (_batcher, messages) => {
    appendFileSync(config.path, messages.map(line).join(''));
    return messages;
  };
}
