/** Kafka record headers: as a message's metadata gives them, and on dead letters. */
import type { RawHeaderValue } from './client.ts';

/**
 * The header a dead letter carries its failure reason in, as on every
 * Sluice producer's dead letters.
 */
export const FAILURE_REASON_HEADER = 'sluice-failure-reason';

/** The header a dead letter carries how many times it was handled in, failures all. */
export const ATTEMPTS_HEADER = 'sluice-attempts';

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

/** A failure reason as one line of text: `Name: message` for errors. */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  return typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason));
}
