/**
 * `taskConsumer`: one async task per event, with at most `maxDemand` tasks
 * running per producer (GenStage's ConsumerSupervisor).
 *
 * Demand is manual: the consumer asks `maxDemand` when it subscribes, and as
 * tasks finish it counts them, asking again once `minDemand` have finished.
 * Tasks run concurrently with each other, outside the stage's mailbox.
 *
 * A failing task is logged with its event. With `restart: 'transient'` it is
 * run again with the same event, unless more than `maxRestarts` restarts
 * happen within `maxSeconds`: then the consumer stops with the task's error,
 * as a supervisor that exceeds its restart intensity does.
 */
import { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { parseOptions, show, zFunction } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import { consumer, type Stage } from './stage.ts';
import type { SubscribeTarget, Subscription } from './types.ts';

/** Options of {@link taskConsumer}. */
export interface TaskConsumerOptions<T> {
  /** Runs once per event. `signal` aborts when the consumer stops. */
  readonly task: (event: T, signal: AbortSignal) => unknown;
  /** Producers to subscribe to. */
  readonly subscribeTo?: readonly SubscribeTarget<T>[];
  /** Most tasks running at once per producer. @defaultValue 10 */
  readonly maxDemand?: number;
  /** Ask again once this many tasks have finished. @defaultValue `Math.floor(maxDemand / 2)`, at least 1 */
  readonly minDemand?: number;
  /** `'temporary'` (default) logs a failed task; `'transient'` retries it. */
  readonly restart?: 'temporary' | 'transient';
  /** @defaultValue 3 */
  readonly maxRestarts?: number;
  /** @defaultValue 5 */
  readonly maxSeconds?: number;
  readonly name?: string;
  readonly logger?: Logger;
}

const schema = z
  .object({
    task: zFunction(),
    subscribeTo: z.array(z.unknown()).optional(),
    maxDemand: z.int().positive({ error: 'expected a positive integer' }).optional(),
    minDemand: z.int().positive({ error: 'expected a positive integer' }).optional(),
    restart: z.enum(['temporary', 'transient']).optional(),
    maxRestarts: z.int().nonnegative().optional(),
    maxSeconds: z.number().positive().optional(),
    name: z.string().min(1).optional(),
    logger: z.unknown().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const max = o.maxDemand ?? 10;
    if (o.minDemand !== undefined && o.minDemand > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['minDemand'],
        message: `expected at most maxDemand (${max})`,
      });
    }
  });

const FINISHED = Symbol('finished');
interface Finished {
  readonly kind: typeof FINISHED;
  readonly subscription: Subscription;
}

/**
 * Starts a consumer that runs `task` for each event, at most `maxDemand`
 * at a time per producer.
 *
 * @example
 * ```ts
 * taskConsumer({ subscribeTo: [jobs], maxDemand: 50, task: (job) => sendEmail(job) });
 * ```
 */
export function taskConsumer<T>(options: TaskConsumerOptions<T>): Stage<T, never> {
  const o = parseOptions(schema, options, 'taskConsumer options');
  const maxDemand = o.maxDemand ?? 10;
  const minDemand = o.minDemand ?? Math.max(1, Math.floor(maxDemand / 2));
  const restart = o.restart ?? 'temporary';
  const maxRestarts = o.maxRestarts ?? 3;
  const windowMs = (o.maxSeconds ?? 5) * 1000;
  const task = options.task;
  const controller = new AbortController();
  const finishedBy = new Map<Subscription, number>();
  const running = new Set<Promise<void>>();
  const restarts: number[] = [];
  let self: Stage<T, never> | undefined;

  const run = (event: T, subscription: Subscription): void => {
    const p = (async () => {
      for (;;) {
        try {
          await task(event, controller.signal);
          break;
        } catch (error) {
          if (controller.signal.aborted) break;
          self?.logger.error({ err: error, event: show(event) }, 'task failed');
          if (restart === 'temporary') break;
          const now = Date.now();
          restarts.push(now);
          while (restarts.length > 0 && (restarts[0] as number) < now - windowMs) restarts.shift();
          if (restarts.length > maxRestarts) {
            void self?.stop(
              new SluiceError(
                'ERR_TASK_FAILED',
                `taskConsumer: more than ${maxRestarts} restarts in ${windowMs / 1000}s`,
                {
                  cause: error,
                },
              ),
            );
            break;
          }
        }
      }
    })().finally(() => {
      running.delete(p);
      self?.send({ kind: FINISHED, subscription } satisfies Finished);
    });
    running.add(p);
  };

  return consumer<T>(
    {
      init(stage) {
        self = stage;
      },
      handleSubscribe(_as, _options, subscription, stage) {
        finishedBy.set(subscription, 0);
        stage.ask(subscription, maxDemand);
        return 'manual';
      },
      handleEvents(events, subscription) {
        for (const event of events) run(event, subscription);
      },
      handleInfo(message, stage) {
        const m = message as Finished;
        if (m.kind !== FINISHED) return;
        const count = (finishedBy.get(m.subscription) ?? 0) + 1;
        if (count >= minDemand) {
          finishedBy.set(m.subscription, 0);
          stage.ask(m.subscription, count);
        } else {
          finishedBy.set(m.subscription, count);
        }
      },
      handleCancel(_cancellation, subscription) {
        finishedBy.delete(subscription);
      },
      async terminate() {
        controller.abort();
        await Promise.allSettled(running);
      },
    },
    {
      subscribeTo: options.subscribeTo ?? [],
      ...(o.name !== undefined && { name: o.name }),
      ...(options.logger !== undefined && { logger: options.logger }),
    },
  );
}
