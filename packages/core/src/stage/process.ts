/**
 * A stage's process: the protocol that decides which callback runs for each
 * envelope and feeds its result back. The {@link Runner} runs the mailbox,
 * the {@link Emitter} keeps a producer's consumers, dispatcher and buffer,
 * and the {@link Receiver} keeps a consumer's upstream links; this class
 * connects them. The public face of a process is its {@link Stage}.
 *
 * Every method that handles an envelope returns whether it suspended on a
 * promise; `then` is the continuation to run once it has finished.
 */
import { SluiceError, isNormalReason } from '../errors.ts';
import { show } from '../options/parse.ts';
import { isThenable } from '../internal/thenable.ts';
import { defaultLogger, type Logger } from '../logger.ts';
import { EventBuffer } from './buffer.ts';
import { DemandDispatcher } from './demand-dispatcher.ts';
import type { DispatchTarget } from './dispatcher.ts';
import { Emitter } from './emitter.ts';
import {
  RETURN_FALSE,
  StopWhenFlushed,
  toError,
  type AnyCallbacks,
  type Envelope,
  type InternalOptions,
  type PendingCall,
  type Sub,
} from './protocol.ts';
import { Receiver } from './receiver.ts';
import { onCancelDownstream, onCancelSelf, onEvents, onSubscribeSelf } from './consume.ts';
import {
  onAsk,
  onCancelUpstream,
  onDemandMode,
  onInfoAfterBuffered,
  onSubscribe,
} from './serve.ts';
import { Runner, type RunnerHost, type Step } from './runner.ts';
import { publishDiscarded } from './telemetry.ts';
import type { CallResult, Cancellation, StageKind, SubscriptionOptions } from './types.ts';
import type { Stage } from './stage.ts';

const loggedErrors = new WeakSet<object>();

export class StageProcess implements RunnerHost<Envelope> {
  readonly stage: Stage<unknown, unknown>;
  readonly kind: StageKind;
  readonly name: string;
  readonly logger: Logger;
  readonly runner: Runner<Envelope>;
  /** The emitter side; null for a consumer. */
  readonly emitter: Emitter<Sub> | null;
  readonly receiver = new Receiver();
  /** Calls whose reply is still due. */
  readonly calls = new Set<PendingCall>();
  exitReason: unknown = undefined;
  /** The stage's callbacks, as given. */
  readonly callbacks: AnyCallbacks;
  readonly #subscribeTo: InternalOptions['subscribeTo'];
  #joiners: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    stage: Stage<unknown, unknown>,
    name: string,
    callbacks: AnyCallbacks,
    options: InternalOptions,
  ) {
    this.stage = stage;
    this.kind = stage.kind;
    this.name = name;
    this.logger = (options.logger ?? defaultLogger()).child({ stage: name });
    this.callbacks = callbacks;
    this.#subscribeTo = options.subscribeTo;
    this.runner = new Runner<Envelope>(this);
    this.emitter = this.kind === 'consumer' ? null : this.#newEmitter(options);
    this.post({ t: 'init' });
  }

  /** Queues an envelope; mail for a stopped stage gets its dead-letter treatment. */
  post(envelope: Envelope): void {
    if (!this.runner.post(envelope)) this.#deadLetter(envelope, true);
  }

  /** Resolves when the stage stops normally; rejects with the reason otherwise. */
  join(): Promise<void> {
    if (this.runner.stopped) {
      return isNormalReason(this.exitReason)
        ? Promise.resolve()
        : Promise.reject(toError(this.exitReason));
    }
    return new Promise((resolve, reject) => this.#joiners.push({ resolve, reject }));
  }

  #newEmitter(options: InternalOptions): Emitter<Sub> {
    const target: DispatchTarget<unknown, Sub> = {
      deliver: (sub, events) => sub.to.post({ t: 'events', sub, events }),
      reask: (sub, n) => this.post({ t: 'ask', sub, n }),
      info: (message) => this.post({ t: 'info', message }),
      discard: (count, reason) => {
        this.logger.warn(
          { code: 'WARN_EVENTS_DISCARDED', count },
          `stage ${this.name} discarded ${count} events: ${reason}`,
        );
        publishDiscarded({ stage: this.name, count, reason });
      },
      warn: (message, code = 'WARN_DISPATCHER') => this.logger.warn({ code }, message),
    };
    // A producer's bound is its schema's default; a producer-consumer's, none.
    const size = options.bufferSize ?? Infinity;
    return new Emitter<Sub>(
      options.dispatcher ?? new DemandDispatcher(),
      new EventBuffer(size, options.bufferKeep ?? 'last'),
      options.demand ?? 'forward',
      target,
    );
  }

  /** The emitter side, for envelopes only emitters receive. */
  get out(): Emitter<Sub> {
    const emitter = this.emitter;
    if (emitter === null) throw new SluiceError('ERR_STAGE_KIND', `${this.name} emits nothing`);
    return emitter;
  }

  /** Handles one envelope (the runner calls it); returns whether it suspended. */
  handle(envelope: Envelope): boolean {
    switch (envelope.t) {
      case 'events':
        return onEvents(this, envelope.sub, envelope.events);
      case 'ask':
        return onAsk(this, envelope.sub, envelope.n, RETURN_FALSE);
      case 'init':
        return this.#init();
      case 'subscribe-self':
        return onSubscribeSelf(this, envelope.sub);
      case 'cancel-self':
        return onCancelSelf(this, envelope.sub, envelope.reason);
      case 'subscribe':
        return onSubscribe(this, envelope.sub);
      case 'cancel-upstream':
        return onCancelUpstream(this, envelope.sub, { kind: 'cancel', reason: envelope.reason });
      case 'consumer-down':
        return onCancelUpstream(this, envelope.sub, { kind: 'down', reason: envelope.reason });
      case 'cancel-downstream':
        return onCancelDownstream(this, envelope.sub, envelope.cancellation);
      case 'info':
        return this.onInfo(envelope.message, RETURN_FALSE);
      case 'info-after-buffered':
        return onInfoAfterBuffered(this, envelope.message);
      case 'call':
        return this.#onCall(envelope.request, envelope.from);
      case 'demand-mode':
        return onDemandMode(this, envelope.mode);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  #init(): boolean {
    const after = (): boolean => {
      for (const target of this.#subscribeTo ?? []) {
        if (Array.isArray(target)) {
          const [producer, options] = target as readonly [Stage, SubscriptionOptions];
          this.stage.subscribe(producer, options);
        } else {
          this.stage.subscribe(target as Stage);
        }
      }
      return false;
    };
    if (this.callbacks.init === undefined) return after();
    return this.runner.then(this.callbacks.init(this.stage), after);
  }

  /** A step threw: the stage stops with the error as its reason. */
  crash(error: unknown): void {
    this.terminate(error);
  }

  /** Stops now: runs `terminate`, then tells every linked stage. */
  terminate(reason: unknown): void {
    this.runner.markStopping();
    const finish = (): void => this.#finish(reason);
    const failed = (error: unknown): void => {
      this.logger.error({ err: error }, 'terminate callback failed');
      finish();
    };
    if (this.callbacks.terminate === undefined) return finish();
    try {
      const result = this.callbacks.terminate(reason, this.stage);
      if (isThenable(result)) return void result.then(finish, failed);
    } catch (error) {
      return failed(error);
    }
    finish();
  }

  #finish(reason: unknown): void {
    this.runner.markStopped();
    this.exitReason = reason;
    if (!isNormalReason(reason)) this.#logStop(reason);
    const down: Cancellation = { kind: 'down', reason };
    for (const sub of this.emitter?.consumers ?? []) {
      sub.to.post({ t: 'cancel-downstream', sub, cancellation: down });
    }
    this.emitter?.consumers.clear();
    for (const link of this.receiver.links.values()) {
      link.sub.from.post({ t: 'consumer-down', sub: link.sub, reason });
    }
    this.receiver.links.clear();
    for (const envelope of this.runner.mailbox.drain()) this.#deadLetter(envelope, false);
    const cause = isNormalReason(reason) ? undefined : reason;
    const stopped = new SluiceError(
      'ERR_STAGE_STOPPED',
      `stage ${this.name} stopped before replying`,
      { cause },
    );
    for (const call of this.calls) call.reject(stopped);
    this.calls.clear();
    const joiners = this.#joiners;
    this.#joiners = [];
    for (const j of joiners) {
      if (isNormalReason(reason)) j.resolve();
      else j.reject(toError(reason));
    }
  }

  #logStop(reason: unknown): void {
    if (typeof reason !== 'object' || reason === null) {
      this.logger.error({ reason }, `stage ${this.name} stopped`);
    } else if (!loggedErrors.has(reason)) {
      loggedErrors.add(reason);
      this.logger.error({ err: reason }, `stage ${this.name} stopped`);
    }
  }

  /**
   * What happens to mail that reaches a stopped stage. A subscription to a
   * producer that had already stopped (`late`) goes down with an error saying
   * so, as GenStage's `:noproc`; one still queued when it stopped goes down
   * with its stop reason.
   */
  #deadLetter(envelope: Envelope, late: boolean): void {
    if (envelope.t === 'subscribe') {
      const reason = late
        ? new SluiceError(
            'ERR_STAGE_STOPPED',
            `stage ${envelope.sub.consumer.name} subscribed to stage ${this.name}, which was not alive (it had stopped: ${show(this.exitReason ?? 'stopping')})`,
          )
        : this.exitReason;
      const cancellation: Cancellation = { kind: 'down', reason };
      envelope.sub.to.post({ t: 'cancel-downstream', sub: envelope.sub, cancellation });
    } else if (envelope.t === 'call') {
      envelope.from.reject(new SluiceError('ERR_STAGE_STOPPED', `stage ${this.name} has stopped`));
    }
  }

  // ---------------------------------------------------------------- shared steps

  /** Runs a callback's result through `then`, now or once its promise settles. */
  then<T>(result: T | PromiseLike<T>, then: (value: T) => boolean): boolean {
    return this.runner.then(result, then);
  }

  /** Emits the events a callback returned: dispatch, then buffer the rest. */
  emit(events: unknown, callback: string): void {
    if (events === undefined || events === null) return;
    if (!Array.isArray(events)) {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `${callback} must return an array of events or nothing, got ${show(events)}`,
      );
    }
    if (events.length === 0) return;
    if (this.emitter === null) {
      this.logger.error(
        { count: events.length },
        `${callback} of consumer ${this.name} returned ${events.length} events; a consumer cannot emit events, so they were dropped`,
      );
      return;
    }
    this.emitter.emit(events as unknown[]);
  }

  /** Runs `handleCancel`, emits what it returns, then continues. */
  runHandleCancel(cancellation: Cancellation, sub: Sub, then: Step): boolean {
    const callbacks = this.callbacks;
    if (callbacks.handleCancel === undefined) return then();
    return this.then(callbacks.handleCancel(cancellation, sub, this.stage), (events) => {
      this.emit(events, 'handleCancel');
      return then();
    });
  }

  onInfo(message: unknown, then: Step): boolean {
    if (message instanceof StopWhenFlushed) {
      this.runner.requestStop(message.reason);
      return then();
    }
    const callbacks = this.callbacks;
    if (callbacks.handleInfo === undefined) {
      this.logger.warn(
        { code: 'WARN_NO_HANDLE_INFO', message: show(message) },
        `stage ${this.name} received a message but has no handleInfo`,
      );
      return then();
    }
    return this.then(callbacks.handleInfo(message, this.stage), (events) => {
      this.emit(events, 'handleInfo');
      return then();
    });
  }

  #onCall(request: unknown, from: PendingCall): boolean {
    const callbacks = this.callbacks;
    if (callbacks.handleCall === undefined) {
      from.reject(new SluiceError('ERR_BAD_RETURN', `stage ${this.name} has no handleCall`));
      return false;
    }
    this.calls.add(from);
    return this.then(
      callbacks.handleCall(request, from, this.stage),
      (result: CallResult<unknown> | void) => {
        if (result === undefined || result === null) return false;
        if (typeof result !== 'object') {
          throw new SluiceError(
            'ERR_BAD_RETURN',
            `handleCall must return { events?, reply? } or nothing, got ${show(result)}`,
          );
        }
        this.emit(result.events, 'handleCall');
        if ('reply' in result && this.calls.delete(from)) from.resolve(result.reply);
        return false;
      },
    );
  }
}
