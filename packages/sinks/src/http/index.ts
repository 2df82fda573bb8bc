/**
 * The HTTP sink: a JSON request per batch or per message, through Node's
 * `fetch` (no library). A 2xx confirms the write. A 5xx, 408, 429, a
 * timeout or a connection error is retried with exponential backoff; once
 * the retries are spent, or at once on any other status, the messages of
 * that request fail with the status (and the start of the body) in the
 * reason.
 */
import type { Message } from '@sluice/core';
import { SinkError } from '../errors.ts';
import { backoffDelay, sleep } from '../internal/backoff.ts';
import { jsonData } from '../internal/data.ts';
import { limit } from '../internal/limit.ts';
import { failedWith, WRITTEN, type Sink, type SinkOutcome } from '../sink.ts';
import {
  parseHttpSinkOptions,
  type HttpSinkOptions,
  type ResolvedHttpSinkOptions,
} from './options.ts';

export {
  httpSinkOptionsObject,
  parseHttpSinkOptions,
  type HttpSinkOptions,
  type ResolvedHttpSinkOptions,
} from './options.ts';

/** Statuses worth another try: the server may accept the same request later. */
const RETRIABLE = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/**
 * A sink that sends messages' data as JSON to `url`.
 *
 * @example
 * ```ts
 * const hook = httpSink({ url: 'https://example.com/ingest', per: 'batch' });
 * // in createPipeline: handleBatch: sinkHandler(hook)
 * ```
 */
export function httpSink(input: HttpSinkOptions): Sink {
  const options = parseHttpSinkOptions(input);
  const name = `HTTP ${options.method} ${redactUrl(options.url)}`;
  const gate = limit(options.concurrency);
  const send = (body: string, signal?: AbortSignal): Promise<SinkOutcome> =>
    gate.run(() => request(options, name, body, signal));

  const write = async (
    messages: readonly Message[],
    signal?: AbortSignal,
  ): Promise<readonly SinkOutcome[]> => {
    const outcomes: SinkOutcome[] = new Array<SinkOutcome>(messages.length);
    const bodies: { index: number; data: unknown }[] = [];
    messages.forEach((message, index) => {
      try {
        bodies.push({ index, data: jsonData(message) });
      } catch (error) {
        outcomes[index] = failedWith(
          new SinkError('ERR_SINK_DATA', name, (error as Error).message, { cause: error }),
        );
      }
    });
    if (bodies.length === 0) return outcomes;
    if (options.per === 'batch') {
      const outcome = await send(JSON.stringify(bodies.map((b) => b.data)), signal);
      for (const b of bodies) outcomes[b.index] = outcome;
    } else {
      await Promise.all(
        bodies.map(async (b) => {
          outcomes[b.index] = await send(JSON.stringify(b.data), signal);
        }),
      );
    }
    return outcomes;
  };

  // Any answer to a HEAD request means the server is there; nothing is sent.
  const probe = async (): Promise<void> => {
    const response = await fetch(options.url, {
      method: 'HEAD',
      headers: options.headers,
      signal: AbortSignal.timeout(options.timeout),
    }).catch((error: unknown) => {
      throw new SinkError('ERR_SINK_UNAVAILABLE', name, describe(error), { cause: error });
    });
    await response.body?.cancel();
  };

  return { name, write, probe, close: async () => {} };
}

/** One request, retried as the options say; resolves with its outcome, never rejects. */
async function request(
  options: ResolvedHttpSinkOptions,
  name: string,
  body: string,
  signal: AbortSignal | undefined,
): Promise<SinkOutcome> {
  let last: { why: string; cause?: unknown } | undefined;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) {
      if (!(await sleep(backoffDelay(options.retryBackoff, attempt), signal))) break;
    }
    if (signal?.aborted === true) break;
    const timeout = AbortSignal.timeout(options.timeout);
    try {
      const response = await fetch(options.url, {
        method: options.method,
        headers: { 'content-type': 'application/json', ...options.headers },
        body,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      if (response.ok) {
        await response.body?.cancel();
        return WRITTEN;
      }
      const text = (await response.text().catch(() => '')).slice(0, 200);
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${text ? `: ${text}` : ''}`;
      if (!RETRIABLE(response.status)) {
        return failedWith(new SinkError('ERR_SINK_REFUSED', name, `refused with ${status}`));
      }
      last = { why: `answered ${status}` };
    } catch (error) {
      const why =
        timeout.aborted && !aborted(signal)
          ? `no answer within ${options.timeout} ms (timeout)`
          : describe(error);
      last = { why, cause: error };
    }
  }
  const tries = options.retries + 1;
  return failedWith(
    last === undefined
      ? new SinkError('ERR_SINK_UNAVAILABLE', name, 'aborted before the write was confirmed')
      : new SinkError(
          'ERR_SINK_UNAVAILABLE',
          name,
          `${last.why} (after ${tries} ${tries === 1 ? 'try' : 'tries'})`,
          last.cause === undefined ? undefined : { cause: last.cause },
        ),
  );
}

const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** A fetch failure's cause, e.g. `connect ECONNREFUSED 127.0.0.1:9`. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { message?: string } } | null)?.cause;
  return cause?.message ?? (error as Error)?.message ?? String(error);
}

/** The URL without its credentials, for names and errors. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
