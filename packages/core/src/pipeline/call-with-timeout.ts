/**
 * A user callback with a deadline, for the processor and batcher `timeout`
 * options. The callback gets its own signal: it aborts when the pipeline's
 * shutdown signal does, and when the deadline passes, with the
 * ERR_HANDLER_TIMEOUT error the result then rejects with. A synchronous
 * result or throw passes through untouched, and no timer is left behind.
 */
import { SluiceError } from '../errors.ts';
import { isThenable } from '../internal/thenable.ts';

export function callWithTimeout(
  call: (signal: AbortSignal) => unknown,
  timeout: number,
  shutdown: AbortSignal,
  callback: 'handleMessage' | 'handleBatch',
): unknown {
  const controller = new AbortController();
  const onShutdown = (): void => controller.abort(shutdown.reason);
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const cleanup = (): void => {
    clearTimeout(timer);
    shutdown.removeEventListener('abort', onShutdown);
  };
  let result: unknown;
  try {
    result = call(controller.signal);
  } catch (error) {
    cleanup();
    throw error;
  }
  if (!isThenable(result)) {
    cleanup();
    return result;
  }
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new SluiceError(
        'ERR_HANDLER_TIMEOUT',
        `${callback} did not settle within ${timeout} ms`,
      );
      controller.abort(error);
      reject(error);
    }, timeout);
  });
  return Promise.race([result, expired]).finally(cleanup);
}
