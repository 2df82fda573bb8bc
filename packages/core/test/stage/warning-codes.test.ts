/**
 * Every warning the stage core logs carries a `code` in its log object
 * (listed in docs/errors.md), so log pipelines can match on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { consumer, producer, producerConsumer, type Stage } from '../../src/stage/index.ts';
import { memoryLogger, settle, until } from '../helpers.ts';

const stages: Stage<never, unknown>[] = [];
function track<S>(stage: S): S {
  stages.push(stage as Stage<never, unknown>);
  return stage;
}
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.kill('shutdown').catch(() => undefined)));
});

function codes(logger: ReturnType<typeof memoryLogger>): unknown[] {
  return logger.lines
    .filter((l) => l.level === 'warn')
    .map((l) => (l.object as { code?: unknown }).code);
}

describe('warning codes', () => {
  it('WARN_EVENTS_DISCARDED when a full buffer drops events', async () => {
    const logger = memoryLogger();
    const p = track(
      producer<number>(
        { handleDemand: () => undefined, handleInfo: (m) => m as number[] },
        { logger, bufferSize: 1 },
      ),
    );
    p.send([1, 2]);
    await until(() => logger.lines.length > 0);
    expect(codes(logger)).toEqual(['WARN_EVENTS_DISCARDED']);
  });

  it('WARN_NO_HANDLE_INFO when a stage without handleInfo gets a message', async () => {
    const logger = memoryLogger();
    const p = track(producer<number>({ handleDemand: () => undefined }, { logger }));
    p.send('hello');
    await until(() => logger.lines.length > 0);
    expect(codes(logger)).toEqual(['WARN_NO_HANDLE_INFO']);
  });

  it('WARN_BUFFERED_EVENTS_LOST when a stage stops holding events no consumer can take', async () => {
    const logger = memoryLogger();
    const source = track(producer<number>({ handleDemand: () => undefined }));
    const middle = track(
      producerConsumer<number, number>(
        { handleEvents: (events) => events, handleInfo: (m) => m as number[] },
        { logger, subscribeTo: [source] },
      ),
    );
    middle.send([1, 2]);
    await settle();
    await source.stop('normal');
    await until(() => logger.lines.length > 0);
    expect(codes(logger)).toEqual(['WARN_BUFFERED_EVENTS_LOST']);
  });

  it('WARN_DEMAND_MISMATCH when consumers of a DemandDispatcher ask different maximums', async () => {
    const logger = memoryLogger();
    const p = track(producer<number>({ handleDemand: () => undefined }, { logger }));
    const handleEvents = (): void => undefined;
    track(consumer<number>({ handleEvents }, { subscribeTo: [[p, { maxDemand: 10 }]] }));
    track(consumer<number>({ handleEvents }, { subscribeTo: [[p, { maxDemand: 20 }]] }));
    await until(() => logger.lines.length > 0);
    expect(codes(logger)).toEqual(['WARN_DEMAND_MISMATCH']);
  });
});
