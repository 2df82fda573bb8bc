/**
 * A message's data as a value a sink can map: objects as they are, bytes
 * and strings parsed as JSON (a broker's payload). Data that is not JSON
 * throws an error naming the message, which fails that message alone.
 */
import type { Message } from '@sluice/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The message's data as a JSON value; throws, naming the message, when it is not one. */
export function jsonData(message: Message): unknown {
  const { data } = message;
  if (!(data instanceof Uint8Array) && typeof data !== 'string') return data;
  try {
    return JSON.parse(typeof data === 'string' ? data : utf8.decode(data)) as unknown;
  } catch (error) {
    throw new Error(
      `message ${String(message.id ?? '')}: its data is not JSON (${(error as Error).message})`.replace(
        'message : ',
        'message: ',
      ),
      { cause: error },
    );
  }
}

/**
 * The value at a dotted `path` of `value` (`customer.id`); `$` is the whole
 * value. A missing field is `undefined`.
 */
export function pick(value: unknown, path: string): unknown {
  if (path === '$') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
