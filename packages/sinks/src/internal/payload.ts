/**
 * A message's data as the bytes a broker sink publishes: bytes as they
 * are, a string as UTF-8, anything else as JSON. Data JSON cannot encode
 * (a BigInt, a cycle, `undefined`) throws an error naming the message,
 * which fails that message alone.
 */
import type { Message } from '@sluice/core';

/** The message's data as a Buffer to publish. */
export function payload(message: Message): Buffer {
  const { data } = message;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new Error(
      `${label(message)}its data cannot be written as JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  if (json === undefined) throw new Error(`${label(message)}its data (${typeof data}) is not JSON`);
  return Buffer.from(json, 'utf8');
}

/** The message's data as a string: UTF-8 text, or JSON for anything else. */
export function text(message: Message): string {
  const { data } = message;
  if (typeof data === 'string') return data;
  return payload(message).toString('utf8');
}

const label = (message: Message): string =>
  message.id === undefined ? '' : `message ${String(message.id)}: `;
