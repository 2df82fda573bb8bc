/**
 * One stage of a layer: applies the layer's fused operations, folds into
 * the reducer if any (window by window), and, once every upstream stage
 * has finished, emits what the reducer holds and stops. An upstream
 * failure stops it with the cause; losing its last consumer stops it too.
 */
import { isNormalReason } from '../errors.ts';
import { isThenable } from '../internal/thenable.ts';
import type { Dispatcher } from '../stage/dispatcher.ts';
import { producerConsumer, type Stage } from '../stage/stage.ts';
import type { Subscription } from '../stage/types.ts';
import { runOps } from './ops.ts';
import type { Layer } from './plan.ts';
import { LayerReducer } from './reducer.ts';

const DONE = Symbol('done');
const TICK = Symbol('tick');
const TRIGGER = Symbol('trigger');

/**
 * Starts stage `partition` (of `layer.stages`) of a layer, subscribed to
 * `upstream`; `routed` says whether upstream partitions events to it.
 */
export function layerStage(
  layer: Layer,
  dispatcher: Dispatcher<unknown, Subscription>,
  upstream: readonly Stage<unknown, unknown>[],
  partition: number,
  routed: boolean,
): Stage<unknown, unknown> {
  /** Upstream stages still running, and consumers still subscribed. */
  let open = upstream.length;
  let consumers = 0;
  const ops = layer.ops.map((make) => make());
  const reducer =
    layer.reducer &&
    new LayerReducer(layer.reducer, layer.window, upstream.length, partition, layer.stages);
  const timers: NodeJS.Timeout[] = [];
  let finished = false;
  const stopTimers = (): void => {
    finished = true;
    for (const t of timers.splice(0)) clearInterval(t);
  };

  const apply = (events: unknown[], from: unknown): unknown[] | Promise<unknown[]> => {
    const out = runOps(ops, events);
    if (reducer === undefined) return out;
    return isThenable(out) ? out.then((o) => reducer.fold(o, from)) : reducer.fold(out, from);
  };

  return producerConsumer<unknown, unknown>(
    {
      init(stage) {
        if (reducer === undefined) return;
        if (layer.window.kind === 'periodic') {
          timers.push(setInterval(() => stage.send(TICK), layer.window.size));
        }
        if (layer.window.interval > 0) {
          timers.push(setInterval(() => stage.send(TRIGGER), layer.window.interval));
        }
      },
      handleEvents: (events, sub) => apply(events, sub.producer),
      handleSubscribe(as) {
        if (as === 'consumer') consumers++;
      },
      handleCancel(cancellation, sub, stage) {
        if (sub.producer === stage) {
          // A consumer left. Without consumers the stage has no purpose:
          // stopping cancels its upstream in turn, down to the source,
          // which closes its iterable (a `break` out of toAsyncIterable).
          if (--consumers === 0) void stage.stop('normal');
          return undefined;
        }
        // A failed upstream: the transient subscription stops this stage with the cause.
        if (!isNormalReason(cancellation.reason)) return undefined;
        if (--open > 0) return undefined;
        stage.infoAfterBuffered(DONE);
        stopTimers();
        return reducer?.finish();
      },
      handleInfo(message, stage) {
        if (message === DONE) {
          void stage.stop('normal');
          return undefined;
        }
        if (finished) return undefined; // a tick queued before the input ended
        if (message === TICK) return reducer?.tick();
        if (message === TRIGGER) return reducer?.triggerOpen();
        return undefined;
      },
      terminate: stopTimers,
    },
    {
      dispatcher,
      subscribeTo: upstream.map(
        (s) =>
          [
            s,
            {
              maxDemand: layer.maxDemand,
              minDemand: layer.minDemand,
              // An upstream failure stops this stage with the cause; a normal
              // end is counted in handleCancel.
              cancel: 'transient',
              ...(routed && { partition }),
            },
          ] as const,
      ),
    },
  );
}
