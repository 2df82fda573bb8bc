/**
 * Seed example 2: a rate limiter. A consumer with manual demand asks its
 * producer for at most `allowed` events per `intervalMs`, whatever the
 * producer could do, by asking again on a timer instead of after each chunk.
 */
import { type Logger } from '@sluice/core';
import { consumer, type Stage, type Subscription } from '@sluice/core/stage';

export interface RateLimiterOptions<T> {
  readonly producer: Stage<never, T> | Stage<unknown, T>;
  /** Events allowed per interval. */
  readonly allowed: number;
  readonly intervalMs: number;
  readonly onEvents: (events: T[]) => void;
  readonly logger?: Logger;
}

export function startRateLimiter<T>(options: RateLimiterOptions<T>): Stage<T, never> {
  const timers = new Set<NodeJS.Timeout>();
  const askEveryInterval = (stage: Stage<T, never>, subscription: Subscription): void => {
    stage.ask(subscription, options.allowed);
    const timer = setTimeout(() => {
      timers.delete(timer);
      askEveryInterval(stage, subscription);
    }, options.intervalMs);
    timers.add(timer);
  };
  return consumer<T>(
    {
      handleSubscribe(_as, _options, subscription, stage) {
        askEveryInterval(stage, subscription);
        return 'manual';
      },
      handleEvents(events) {
        options.onEvents(events);
      },
      terminate() {
        for (const t of timers) clearTimeout(t);
      },
    },
    {
      name: 'rate-limiter',
      ...(options.logger !== undefined && { logger: options.logger }),
      subscribeTo: [options.producer],
    },
  );
}
