/** Kafka record headers as a message's metadata gives them. */
import type { RawHeaderValue } from './client.ts';

/** Shared by every record without headers: no allocation on the common path. */
const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/**
 * One Buffer per header name: the first value of a repeated header, strings
 * encoded as UTF-8, names without a value left out.
 */
export function toHeaders(
  headers: Readonly<Record<string, RawHeaderValue>> | undefined,
): Readonly<Record<string, Buffer>> {
  let out: Record<string, Buffer> | undefined;
  for (const name in headers) {
    const value = headers[name];
    const first = Array.isArray(value) ? (value[0] as Buffer | string | undefined) : value;
    if (first === undefined) continue;
    out ??= {};
    out[name] = Buffer.isBuffer(first) ? first : Buffer.from(first as string);
  }
  return out ?? NO_HEADERS;
}
