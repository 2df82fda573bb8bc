/**
 * Runs the user's `handleFailed` on one stage invocation's failed messages.
 * Whatever it does, every failed message is still acked as failed: if it
 * throws, rejects, or returns anything but the same messages, the error is
 * logged and published and the original list is used.
 */
import { isThenable } from '../internal/thenable.ts';
import { show } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import type { Message } from './message.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

export function runHandleFailed(
  rt: PipelineRuntime,
  stage: 'processor' | 'batch-processor',
  failed: Message[],
  logger: Logger,
): readonly Message[] | Promise<readonly Message[]> {
  if (rt.definition.callbacks.handleFailed === undefined) return failed;
  const context = rt.context;
  const start = performance.now();
  if (channels.handleFailedStart.hasSubscribers) {
    channels.handleFailedStart.publish({ pipeline: rt.name, stage, messages: failed, context });
  }
  const thrown = (error: unknown): readonly Message[] => {
    logger.error(
      { err: error, count: failed.length },
      'handleFailed failed; acking the failed messages as they were',
    );
    if (channels.handleFailedException.hasSubscribers) {
      channels.handleFailedException.publish({
        pipeline: rt.name,
        stage,
        messages: failed,
        context,
        durationMs: performance.now() - start,
        error,
      });
    }
    return failed;
  };
  const returned = (value: unknown): readonly Message[] => {
    if (!Array.isArray(value) || value.length !== failed.length) {
      logger.error(
        { count: failed.length },
        `handleFailed received ${failed.length} messages and returned ${Array.isArray(value) ? value.length : show(value)}; acking the ${failed.length} it received`,
      );
    }
    if (channels.handleFailedStop.hasSubscribers) {
      channels.handleFailedStop.publish({
        pipeline: rt.name,
        stage,
        messages: failed,
        context,
        durationMs: performance.now() - start,
      });
    }
    // The messages are the same objects: changes made through configureAck
    // or fail() apply either way.
    return failed;
  };
  let result: unknown;
  try {
    result = rt.definition.callbacks.handleFailed?.(failed, context, rt.shutdown.signal);
  } catch (error) {
    return thrown(error);
  }
  return isThenable(result) ? Promise.resolve(result).then(returned, thrown) : returned(result);
}
