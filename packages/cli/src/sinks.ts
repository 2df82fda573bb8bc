/**
 * Built-in sinks, used as `handleBatch` when the file names no handler for
 * it: `stdout` and `file` write each message's data as a JSON line.
 */
import { appendFileSync } from 'node:fs';
import type { Message, PipelineDefinition } from '@sluice/core';

export type SinkConfig =
  { readonly type: 'stdout' } | { readonly type: 'file'; readonly path: string };

/** One JSON line per message: its data, serialized (a string becomes a JSON string). */
const line = (m: Message): string => `${JSON.stringify(m.data)}\n`;

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
