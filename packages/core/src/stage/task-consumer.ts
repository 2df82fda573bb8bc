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
import type { z } from 'zod';
import { lazily, zod } from '../options/zod.ts';
import { SluiceError } from '../errors.ts';
import { parseOptions, show, zFunction } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import { consumer, type Stage } from './stage.ts';
import type { SubscribeTarget, Subscription } from './types.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';

/** {@link taskConsumer}'s options. */
export const taskConsumerSchema = lazily(() => {
  const z = zod();
  return z
    .object({
      task: zFunction<(event: unknown, signal: AbortSignal) => unknown>().meta({
        description: 'Runs once per event; its `signal` aborts when the consumer stops.',
      }),
      subscribeTo: z
        .array(z.custom<SubscribeTarget<unknown>>())
        .readonly()
        .optional()
        .meta({ description: 'Producers to subscribe to.' }),
      maxDemand: z
        .int()
        .positive({ error: 'expected a positive integer' })
        .default(10)
        .meta({ description: 'The most tasks running at once per producer.' }),
      minDemand: z.int().positive({ error: 'expected a positive integer' }).optional().meta({
        description:
          'Ask again once this many tasks have finished; at most `maxDemand`, half of it (at least 1) when unset.',
      }),
      restart: z.enum(['temporary', 'transient']).default('temporary').meta({
        description:
          '`temporary` logs a failed task; `transient` runs it again with the same event.',
      }),
      maxRestarts: z.int().nonnegative().default(3).meta({
        description:
          "With `transient`: more restarts than this within `maxSeconds` stop the consumer with the task's error.",
      }),
      maxSeconds: z
        .number()
        .positive()
        .default(5)
        .meta({ description: 'The window, in seconds, in which `maxRestarts` are counted.' }),
      name: z.string().min(1).optional().meta({ description: 'A name for logs and telemetry.' }),
      logger: z.custom<Logger>().optional().meta({
        description: 'A pino-compatible logger; a quiet pino logger on stderr when unset.',
      }),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.minDemand !== undefined && o.minDemand > o.maxDemand) {
        ctx.addIssue({
          code: 'custom',
          path: ['minDemand'],
          message: `expected at most maxDemand (${o.maxDemand})`,
        });
      }
    })
    .transform((o) => ({
      ...o,
      minDemand: o.minDemand ?? Math.max(1, Math.floor(o.maxDemand / 2)),
    }));
});

/** Options of {@link taskConsumer}. `T` is the type of the events. */
export interface TaskConsumerOptions<T> extends Omit<
  z.input<ReturnType<typeof taskConsumerSchema>>,
  'task' | 'subscribeTo'
> {
  /** Runs once per event. `signal` aborts when the consumer stops. */
  readonly task: (event: T, signal: AbortSignal) => unknown;
  /** Producers to subscribe to. */
  readonly subscribeTo?: readonly SubscribeTarget<T>[] | undefined;
}

type _Agrees = Assert<
  Agrees<TaskConsumerOptions<unknown>, z.input<ReturnType<typeof taskConsumerSchema>>>
>;

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
  const o = parseOptions(taskConsumerSchema(), options, 'taskConsumer options');
  const { maxDemand, minDemand, restart, maxRestarts } = o;
  const windowMs = o.maxSeconds * 1000;
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
