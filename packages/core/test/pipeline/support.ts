import { vi } from 'vitest';
import {
  Message,
  createPipeline,
  type Acknowledger,
  type Pipeline,
  type PipelineDefinition,
  type ProducerModule,
  type StandardSchemaV1,
  type Transformer,
} from '../../src/index.ts';
import { memoryLogger, settle } from '../helpers.ts';

/** Fake only the clock-driven timers; the scheduler's setImmediate stays real. */
export function fakeTimers(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

/**
 * Moves the fake clock by `ms`, letting the pipeline finish its work before
 * and after: the scheduler yields through a real setImmediate, which the
 * fake clock does not wait for.
 */
export async function advance(ms: number): Promise<void> {
  await settle();
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** A producer that emits nothing (the test harness pushes messages). */
export const idle = (): ProducerModule => ({ init: () => ({ handleDemand: () => undefined }) });

/** Records every ack call: which ref, which messages, how. */
export function recordingAcknowledger() {
  const calls: { ref: unknown; successful: unknown[]; failed: unknown[] }[] = [];
  const acknowledger: Acknowledger = {
    ack(ref, successful, failed) {
      calls.push({
        ref,
        successful: successful.map((m) => m.data),
        failed: failed.map((m) => m.data),
      });
    },
  };
  return {
    acknowledger,
    calls,
    successful: () => calls.flatMap((c) => c.successful),
    failed: () => calls.flatMap((c) => c.failed),
  };
}

/**
 * A producer of `data`, emitted on demand as messages acked through
 * `acknowledger`. Records every demand it sees.
 */
export function listProducer<D>(
  data: readonly D[],
  acknowledger: Acknowledger,
  ackRef: unknown = 'ref',
) {
  const demands: number[] = [];
  let next = 0;
  const module: ProducerModule = {
    init: () => ({
      handleDemand(demand: number) {
        demands.push(demand);
        const out: Message[] = [];
        while (out.length < demand && next < data.length) {
          out.push(new Message({ data: data[next], id: next, acknowledger, ackRef }));
          next++;
        }
        return out;
      },
    }),
  };
  return { module, demands, emitted: () => next };
}

const pipelines: Pipeline[] = [];

/** createPipeline with a quiet logger, stopped after each test. */
export function pipeline<
  C,
  P extends ProducerModule<unknown, object, object> = ProducerModule,
  T extends Transformer<unknown, object, object> | undefined = Transformer | undefined,
  S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
>(definition: Omit<PipelineDefinition<C, P, T, S>, 'name'> & { name?: string }) {
  const logger = memoryLogger();
  const p = createPipeline<C, P, T, S>({
    name: `test-${pipelines.length}`,
    logger,
    ...definition,
  });
  pipelines.push(p);
  return Object.assign(p, { logger });
}

export async function stopAll(): Promise<void> {
  vi.useRealTimers();
  await Promise.all(pipelines.splice(0).map((p) => p.stop()));
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
