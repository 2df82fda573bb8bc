/**
 * What stages say to each other: the envelopes of the mailbox protocol and
 * the subscription record both sides of a link share.
 *
 * A subscription is made, used and ended with envelopes only:
 *
 * ```
 * consumer                                   producer
 *   subscribe-self ─▶ (its own mailbox)
 *   ──────────── subscribe ──────────────────▶ dispatcher.subscribe
 *   ──────────── ask(n) ─────────────────────▶ dispatcher.ask, handleDemand
 *   ◀─────────── events ────────────────────── dispatcher.dispatch
 *   ──────────── cancel-upstream ────────────▶ dispatcher.cancel, handleCancel
 *   ◀─────────── cancel-downstream ─────────── (after every event already sent)
 * ```
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { StageProcess } from './process.ts';
import type { Stage } from './stage.ts';
import type {
  CallRef,
  Cancellation,
  CommonCallbacks,
  DemandMode,
  ResolvedSubscriptionOptions,
  SubscribeTarget,
  Subscription,
} from './types.ts';

/** One item of a stage's mailbox. */
export type Envelope =
  | { readonly t: 'init' }
  | { readonly t: 'subscribe-self'; readonly sub: Sub }
  | { readonly t: 'cancel-self'; readonly sub: Sub; readonly reason: unknown }
  | { readonly t: 'subscribe'; readonly sub: Sub }
  | { readonly t: 'ask'; readonly sub: Sub; readonly n: number }
  | { readonly t: 'events'; readonly sub: Sub; readonly events: unknown[] }
  | { readonly t: 'cancel-upstream'; readonly sub: Sub; readonly reason: unknown }
  | { readonly t: 'cancel-downstream'; readonly sub: Sub; readonly cancellation: Cancellation }
  | { readonly t: 'consumer-down'; readonly sub: Sub; readonly reason: unknown }
  | { readonly t: 'info'; readonly message: unknown }
  | { readonly t: 'info-after-buffered'; readonly message: unknown }
  | { readonly t: 'call'; readonly request: unknown; readonly from: PendingCall }
  | { readonly t: 'demand-mode'; readonly mode: DemandMode };

/**
 * A subscription: the link between one producer and one consumer. Besides
 * the public stages it holds their processes, which is how the runtime
 * reaches the other side's mailbox.
 */
export class Sub implements Subscription {
  readonly id: number;
  readonly producer: Stage<unknown, unknown>;
  readonly consumer: Stage<unknown, unknown>;
  readonly options: ResolvedSubscriptionOptions;
  /** @internal */
  readonly from: StageProcess;
  /** @internal */
  readonly to: StageProcess;
  constructor(
    id: number,
    from: StageProcess,
    to: StageProcess,
    options: ResolvedSubscriptionOptions,
  ) {
    this.id = id;
    this.from = from;
    this.to = to;
    this.producer = from.stage;
    this.consumer = to.stage;
    this.options = options;
  }
}

/** A `stage.call` waiting for its reply. */
export interface PendingCall extends CallRef {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** An internal info: stop with `reason` once the buffer in front of it has been sent. */
export class StopWhenFlushed {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

/** Every callback a stage may have, whatever its kind. */
export type AnyCallbacks = CommonCallbacks<unknown, unknown> & {
  handleDemand?: (demand: number, stage: Stage<unknown, unknown>) => unknown;
  handleEvents?: (
    events: unknown[],
    subscription: Subscription,
    stage: Stage<unknown, unknown>,
  ) => unknown;
};

/** A stage's options after the factory has validated them. */
export interface InternalOptions {
  readonly name?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly bufferSize?: number | undefined;
  readonly bufferKeep?: 'first' | 'last' | undefined;
  readonly dispatcher?: Dispatcher<unknown, Sub> | undefined;
  readonly demand?: DemandMode | undefined;
  readonly subscribeTo?: readonly SubscribeTarget<unknown>[] | undefined;
}

/** The error a stage's `join()` rejects with when it stopped for `reason`. */
export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new SluiceError('ERR_STAGE_STOPPED', `stage stopped: ${show(reason)}`, { cause: reason });
}

/** The continuation that does nothing more. */
export const RETURN_FALSE = (): boolean => false;
