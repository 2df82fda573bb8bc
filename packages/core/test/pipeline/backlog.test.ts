import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  pipelineChannels,
  type BacklogEvent,
  type BacklogReporter,
  type ProducerModule,
} from '../../src/index.ts';
import { BacklogBoard, STATS_INTEREST_MS } from '../../src/pipeline/backlog.ts';
import { pipeline, stopAll } from './support.ts';

afterEach(stopAll);

const sample = { broker: 'sqs', destination: 'orders', waiting: 7, inFlight: 2, at: 1 };

/** A producer that hands its backlog reporter to the test. */
function reporting(): { module: ProducerModule; reporter: () => BacklogReporter } {
  let reporter: BacklogReporter | undefined;
  return {
    module: {
      prepareForStart(context) {
        reporter = context.backlog;
      },
      init: () => ({ handleDemand: () => undefined }),
    },
    reporter: () => reporter as BacklogReporter,
  };
}

describe('backlog', () => {
  it('keeps the last sample per destination for pipeline.stats()', async () => {
    const { module, reporter } = reporting();
    const p = pipeline({
      name: 'bk',
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(p.stats().backlog).toEqual([]);
    await p.start();
    reporter().report(sample);
    reporter().report({ ...sample, waiting: 3 });
    reporter().report({ broker: 'kafka', destination: 't', partition: 1, waiting: 4, at: 2 });
    reporter().report({ broker: 'kafka', destination: 't', partition: 0, waiting: 5, at: 2 });
    expect(p.stats().backlog).toEqual([
      { ...sample, waiting: 3 },
      { broker: 'kafka', destination: 't', partition: 1, waiting: 4, at: 2 },
      { broker: 'kafka', destination: 't', partition: 0, waiting: 5, at: 2 },
    ]);
  });

  it('is wanted while sluice:backlog has a subscriber, and publishes each sample there', async () => {
    const { module, reporter } = reporting();
    const p = pipeline({
      name: 'bk2',
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    expect(reporter().wanted()).toBe(false);
    const seen: BacklogEvent[] = [];
    const listener = (e: unknown): void => void seen.push(e as BacklogEvent);
    diagnostics.subscribe(pipelineChannels.backlog, listener);
    try {
      expect(reporter().wanted()).toBe(true);
      reporter().report(sample);
      expect(seen).toEqual([{ pipeline: 'bk2', ...sample }]);
    } finally {
      diagnostics.unsubscribe(pipelineChannels.backlog, listener);
    }
    expect(reporter().wanted()).toBe(false);
  });

  it('is wanted for a minute after a stats() read', () => {
    let now = 1000;
    const board = new BacklogBoard('p', () => now);
    expect(board.wanted()).toBe(false);
    board.read();
    now += STATS_INTEREST_MS - 1;
    expect(board.wanted()).toBe(true);
    now += 1;
    expect(board.wanted()).toBe(false);
  });
});
