/**
 * The producer stage: wraps one instance of the user's producer module in a
 * stage, and adds what every source needs: the transformer, message
 * accounting, the shared rate limit, `pushMessages`, and draining.
 *
 * Draining (see docs/architecture.md, "Shutdown"):
 * 1. `prepareForDraining` is called at once, outside the mailbox, so a
 *    producer blocked in a long poll can abort it (Broadway's producers
 *    cannot: their poll blocks the drain).
 * 2. Once it resolves, the stage stops asking the module for messages.
 *    Messages held back by the rate limit are still released, interval by
 *    interval; then, once everything emitted has been dispatched, the stage
 *    stops and its processors see their subscription end.
 * 3. Anything the module emits after that is acked as failed at once and
 *    reported, never dropped silently.
 */
import { SluiceError } from '../errors.ts';
import { Fifo } from '../internal/fifo.ts';
import { show } from '../options/parse.ts';
import { isThenable } from '../internal/thenable.ts';
import type { Dispatcher } from '../stage/dispatcher.ts';
import { producer, type Stage } from '../stage/stage.ts';
import type { Subscription } from '../stage/types.ts';
import { Message } from './message.ts';
import type { ResolvedDefinition } from './definition.ts';
import type { ProducerContext, ProducerInstance } from './producer-module.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

const EMIT = Symbol('emit');
const PUSH = Symbol('push');
const RESET = Symbol('reset');
const DRAINED = Symbol('drained');
const FLUSHED = Symbol('flushed');
const STOP = Symbol('stop');
const PAUSE = Symbol('pause');
const RESUME = Symbol('resume');

type Emitted =
  | Message[]
  | readonly Message[]
  | undefined
  | PromiseLike<Message[] | readonly Message[] | undefined>;

type Info =
  | { readonly kind: typeof EMIT; readonly events: readonly unknown[] }
  | { readonly kind: typeof PUSH; readonly messages: readonly Message[] }
  | {
      readonly kind:
        typeof RESET | typeof DRAINED | typeof FLUSHED | typeof STOP | typeof PAUSE | typeof RESUME;
    };

/** A running producer instance, as the pipeline drives it. */
export interface ProducerHandle {
  readonly stage: Stage<never, Message>;
  /** Resolves once the module's `init` has run; rejects with its error. */
  readonly ready: Promise<void>;
  /** Sends messages straight to the processors, bypassing demand and the rate limit. */
  push(messages: readonly Message[]): void;
  /** A new rate-limit interval began. */
  rateReset(): void;
  /** Drains as described above; resolves once the stage has stopped. */
  drain(): Promise<void>;
  /**
   * Calls the instance's `terminate`, once: after the whole pipeline has
   * stopped and every ack has settled, so acks can still use its
   * connection while the rest of the pipeline drains.
   */
  close(reason: unknown): Promise<void>;
  /** The instance's {@link ProducerInstance.unconfirmed}, even after `close`; 0 without one. */
  unconfirmed(): number;
  /** The instance's {@link ProducerInstance.connected}; undefined when it cannot tell. */
  connected(): boolean | undefined;
  /**
   * Stops dispatching: demand is no longer passed to the module, and what
   * it emits (or is pushed) waits in the stage until `resume()`.
   */
  pause(): void;
  /** Dispatches what waited during the pause and passes on the demand that arrived. */
  resume(): void;
  /** Tells the instance (its optional `resized`) the definition now in force. */
  resized(definition: ResolvedDefinition<unknown>): void;
}

export function startProducer(
  rt: PipelineRuntime,
  index: number,
  dispatcher: Dispatcher<Message, Subscription>,
  limiter: RateLimiter | undefined,
): ProducerHandle {
  const definition = rt.definition.producer;
  const logger = rt.logger.child({ stage: 'producer', index });
  const transformer = definition.transformer;
  let instance: ProducerInstance | undefined;
  /** The instance, kept after `close` for {@link ProducerHandle.unconfirmed}. */
  let opened: ProducerInstance | undefined;
  let draining = false;
  /** Processors were let go: emitted messages are failed, not dispatched. */
  let closed = false;
  /** The stage is stopping: emits bypass the mailbox and are failed at once. */
  let stopping = false;
  /** Messages over the rate limit, waiting for the next interval. */
  const held = new Fifo<Message>();
  /** Demand that arrived while the rate limit was closed. */
  let heldDemand = 0;
  /** Paused: messages that arrived wait here, demand is added up. */
  let paused = false;
  const pausedHeld: Message[] = [];
  let pausedDemand = 0;
  let resolveReady!: () => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);

  const report = (
    kind: 'transformer' | 'not-a-message' | 'emitted-while-draining',
    error: unknown,
    count: number,
  ): void => {
    logger.error({ err: error, count }, `producer ${index}: ${(error as Error).message}`);
    if (channels.producerError.hasSubscribers) {
      channels.producerError.publish({ pipeline: rt.name, index, error, kind, count });
    }
  };

  /** Turns emitted events into messages, counting them in. */
  const accept = (events: readonly unknown[]): Message[] => {
    const now = performance.now();
    // The usual case, Messages and no transformer: one exact-size copy.
    if (transformer === undefined) {
      let i = 0;
      for (; i < events.length; i++) {
        const event = events[i];
        if (!(event instanceof Message)) break;
        event.emittedAt = now;
      }
      if (i === events.length) {
        rt.received += i;
        return events.slice() as Message[];
      }
    }
    const out: Message[] = [];
    for (const event of events) {
      let message: unknown = event;
      if (transformer !== undefined) {
        try {
          message = transformer(event);
        } catch (error) {
          report(
            'transformer',
            new SluiceError('ERR_BAD_RETURN', `the transformer threw for ${show(event)}`, {
              cause: error,
            }),
            1,
          );
          continue;
        }
      }
      if (!(message instanceof Message)) {
        report(
          'not-a-message',
          new SluiceError(
            'ERR_BAD_RETURN',
            `the producer emitted ${show(message)}, which is not a Message; emit Messages or set producer.transformer`,
          ),
          1,
        );
        continue;
      }
      const accepted = message as Message;
      accepted.emittedAt = now;
      out.push(accepted);
    }
    rt.received += out.length;
    return out;
  };

  /** Applies the shared rate limit; what is over budget waits in `held`. */
  const limit = (messages: Message[]): Message[] => {
    if (limiter === undefined || messages.length === 0) return messages;
    if (held.length > 0) {
      for (const m of messages) held.push(m);
      return [];
    }
    const granted = limiter.take(messages.length);
    if (granted === messages.length) return messages;
    for (let i = granted; i < messages.length; i++) held.push(messages[i] as Message);
    if (channels.rateLimit.hasSubscribers) {
      channels.rateLimit.publish({ pipeline: rt.name, state: 'closed', ...limiter.limit });
    }
    return granted === 0 ? [] : messages.slice(0, granted);
  };

  /** Messages that arrive after the processors were let go: acked as failed. */
  const failLate = (events: readonly unknown[]): void => {
    const messages = accept(events);
    if (messages.length === 0) return;
    const reason = new SluiceError(
      'ERR_PIPELINE_STATE',
      `producer ${index} emitted ${messages.length} messages after draining had finished`,
    );
    for (const m of messages) m.fail(reason);
    report('emitted-while-draining', reason, messages.length);
    rt.ack([], messages);
  };

  const fromModule = (events: readonly unknown[] | void | undefined): Message[] | undefined => {
    if (events === undefined || events === null) return undefined;
    if (!Array.isArray(events)) {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `producer handleDemand must return an array or nothing, got ${show(events)}`,
      );
    }
    if (closed) {
      failLate(events);
      return undefined;
    }
    return limit(accept(events));
  };

  const demandModule = (
    demand: number,
  ): Message[] | undefined | PromiseLike<Message[] | undefined> => {
    // rt.draining is set the moment a stop begins: no fetch starts after it,
    // even before this stage hears that it drains.
    if (instance === undefined || draining || rt.draining) return undefined;
    const result = instance.handleDemand(demand);
    return isThenable(result) ? Promise.resolve(result).then(fromModule) : fromModule(result);
  };

  const context: Omit<ProducerContext, 'emit'> & { emit(events: readonly unknown[]): void } = {
    pipeline: rt.name,
    index,
    concurrency: definition.concurrency,
    logger,
    definition: rt.definition,
    emit: (events) => {
      if (events.length === 0) return;
      if (stopping) failLate(events);
      else stage.send({ kind: EMIT, events } satisfies Info);
    },
  };

  /** The stage's own messages, in mailbox order. */
  const onInfo = (info: Info, self: Stage<never, Message>): Emitted => {
    switch (info.kind) {
      case EMIT:
        return fromModule(info.events);
      case PUSH: {
        const now = performance.now();
        for (const m of info.messages) m.emittedAt = now;
        rt.received += info.messages.length;
        return info.messages;
      }
      case RESET: {
        if (limiter === undefined) return undefined;
        const released = held.take(limiter.take(held.length));
        if (draining && held.length === 0) {
          self.infoAfterBuffered({ kind: FLUSHED } satisfies Info);
        }
        if (held.length > 0 || heldDemand === 0 || limiter.remaining === 0 || draining) {
          return released;
        }
        const demand = heldDemand;
        heldDemand = 0;
        const more = demandModule(demand);
        if (isThenable(more)) {
          return Promise.resolve(more).then((m) =>
            m === undefined ? released : [...released, ...m],
          );
        }
        return more === undefined ? released : [...released, ...more];
      }
      case DRAINED:
        draining = true;
        if (held.length === 0) self.infoAfterBuffered({ kind: FLUSHED } satisfies Info);
        return undefined;
      case FLUSHED:
        // Emits already in the mailbox are failed as they come, then we stop.
        closed = true;
        self.send({ kind: STOP } satisfies Info);
        return undefined;
      case STOP:
        stopping = true;
        void self.stop('shutdown');
        return undefined;
      case PAUSE:
        paused = true;
        return undefined;
      case RESUME: {
        paused = false;
        const waited = pausedHeld.splice(0);
        const demand = pausedDemand;
        pausedDemand = 0;
        const more = demand > 0 ? askFor(demand) : undefined;
        if (isThenable(more)) {
          return Promise.resolve(more).then((m) => (m === undefined ? waited : [...waited, ...m]));
        }
        return more === undefined ? waited : [...waited, ...more];
      }
    }
  };

  /** While paused, whatever would be dispatched waits in `pausedHeld`. */
  const gate = (out: Emitted): Emitted => {
    if (!paused || out === undefined) return out;
    if (isThenable(out)) return Promise.resolve(out).then(gate);
    for (const m of out) pausedHeld.push(m);
    return undefined;
  };

  /** The demand the consumers sent, through the rate limit to the module. */
  const askFor = (demand: number): Emitted => {
    if (draining) return undefined;
    if (limiter !== undefined && (held.length > 0 || limiter.remaining === 0)) {
      heldDemand += demand;
      return undefined;
    }
    return demandModule(demand);
  };

  const stage = producer<Message>(
    {
      async init() {
        try {
          instance = await definition.module.init(context);
          opened = instance;
          resolveReady();
        } catch (error) {
          rejectReady(error);
          throw error;
        }
      },
      handleDemand(demand) {
        if (paused) {
          pausedDemand += demand;
          return undefined;
        }
        return askFor(demand);
      },
      handleInfo(message, self) {
        return gate(onInfo(message as Info, self));
      },
      terminate() {
        // The instance is closed later, by close(): processors may still be
        // finishing, and their acks need the instance's connection.
        closed = true;
        stopping = true;
      },
    },
    {
      name: `${rt.name}.producer.${index}`,
      logger: rt.logger,
      dispatcher,
      // Producers emit only what was asked; the buffer holds pushed messages
      // and must never drop one.
      bufferSize: Infinity,
    },
  );

  /** Calls an optional instance hook; a failure is logged, never thrown. */
  const tell = (what: 'pause' | 'resume' | 'resized', call: () => unknown): void => {
    const failed = (error: unknown) =>
      logger.error({ err: error }, `producer ${index}: ${what} failed`);
    try {
      const result = call();
      if (isThenable(result)) Promise.resolve(result).catch(failed);
    } catch (error) {
      failed(error);
    }
  };

  return {
    stage,
    ready,
    pause: () => {
      stage.send({ kind: PAUSE } satisfies Info);
      tell('pause', () => instance?.pause?.());
    },
    resume: () => {
      stage.send({ kind: RESUME } satisfies Info);
      tell('resume', () => instance?.resume?.());
    },
    resized: (definition) => tell('resized', () => instance?.resized?.(definition)),
    connected: () => (instance === undefined ? undefined : instance.connected?.()),
    push: (messages) => stage.send({ kind: PUSH, messages } satisfies Info),
    rateReset: () => stage.send({ kind: RESET } satisfies Info),
    async drain() {
      try {
        await instance?.prepareForDraining?.();
      } catch (error) {
        logger.error({ err: error }, `producer ${index}: prepareForDraining failed`);
      }
      stage.send({ kind: DRAINED } satisfies Info);
      await stage.join().catch(() => undefined);
    },
    unconfirmed: () => opened?.unconfirmed?.() ?? 0,
    async close(reason) {
      const current = instance;
      instance = undefined;
      closed = true;
      stopping = true;
      try {
        await current?.terminate?.(reason);
      } catch (error) {
        logger.error({ err: error }, `producer ${index}: terminate failed`);
      }
    },
  };
}
