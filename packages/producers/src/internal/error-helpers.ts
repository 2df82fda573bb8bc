/** Small helpers the adapters share to classify and describe library errors. */
import { redactText, urlSecrets } from '@sluice/core';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * True when `error`, or an error in its `cause` chain or in an
 * AggregateError's `errors`, is a socket-level failure such as ECONNREFUSED.
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.some((e) => isNetworkError(e, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

/** `error.message` for errors, `String(error)` for anything else. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True for the error an aborted request rejects with (`AbortError`). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * `messageOf(error)` with the credentials of `urls` hidden: a library that
 * misreads a URL (a password with an unencoded `/` or `@`) may repeat any
 * piece of it. The same is done, in place, to the message and stack of
 * `error` and of its causes, which loggers print with it.
 */
export function redactedMessageOf(error: unknown, urls: readonly string[]): string {
  const secrets = urls.flatMap((url) => urlSecrets(url));
  redactError(error, secrets, 0);
  return redactText(messageOf(error), secrets);
}

function redactError(error: unknown, secrets: readonly string[], depth: number): void {
  if (depth > 5 || !(error instanceof Error)) return;
  try {
    error.message = redactText(error.message, secrets);
    if (error.stack !== undefined) error.stack = redactText(error.stack, secrets);
  } catch {
    // A frozen error: its message cannot change, and it is the library's.
  }
  redactError(error.cause, secrets, depth + 1);
  if (error instanceof AggregateError) {
    for (const inner of error.errors) redactError(inner, secrets, depth + 1);
  }
}
