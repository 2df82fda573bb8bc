import diagnostics from 'node:diagnostics_channel';
import { testBatch } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Message, pipelineChannels, type ProducerModule } from '../../src/index.ts';
import { fakeTimers, pipeline, stopAll, advance } from './support.ts';

afterEach(stopAll);

describe('telemetry', () => {
  it('publishes every channel with its documented payload', async () => {
    fakeTimers();
    const seen = new Map<string, Record<string, unknown>[]>();
    const listeners = Object.values(pipelineChannels).map((name) => {
      const listener = (payload: unknown): void => {
        const list = seen.get(name) ?? [];
        list.push(payload as Record<string, unknown>);
        seen.set(name, list);
      };
      diagnostics.subscribe(name, listener);
      return [name, listener] as const;
    });
    try {
      const failingAck = {
        ack() {
          throw new Error('ack failed');
        },
      };
      let emitted = false;
      const module: ProducerModule = {
        init: () => ({
          handleDemand() {
            if (emitted) return undefined;
            emitted = true;
            return [{ broken: true }, { ok: 1 }];
          },
        }),
      };
      const p = pipeline({
        name: 'observed',
        producer: {
          module,
          rateLimiting: { allowedMessages: 1000, interval: 1000 },
          transformer: (e) => {
            if ((e as { broken?: boolean }).broken) throw new Error('cannot transform');
            return new Message({ data: e, acknowledger: failingAck });
          },
        },
        processors: { default: { concurrency: 1 } },
        batchers: { default: { batchSize: 2 } },
        context: { ctx: true },
        handleMessage: (_p, m) =>
          (m.data as { fail?: boolean }).fail === true ? m.fail('asked to') : m,
        handleBatch: (_b, ms) => ms,
        handleFailed(ms) {
          if (ms.some((m) => (m.data as { throwInFailed?: boolean }).throwInFailed === true)) {
            throw new Error('handleFailed broke');
          }
          return ms;
        },
      });
      await p.start();
      const batch = testBatch(p, [{ n: 1 }, { fail: true }, { n: 2 }]);
      const failing = testBatch(p, [{ fail: true, throwInFailed: true }]);
      await advance(1000); // the last partial batch times out
      await Promise.all([batch, failing]);
      await p.stop();

      const first = (name: string): Record<string, unknown> => {
        const payload = seen.get(name)?.[0];
        expect(payload, `nothing published on ${name}`).toBeDefined();
        expect(payload).toMatchObject({ pipeline: 'observed' });
        return payload as Record<string, unknown>;
      };
      // Payloads hold messages (with cyclic references): compare fields, not whole objects.
      const errorOf = (name: string): string => (first(name).error as Error).message;
      expect(first(pipelineChannels.topologyInit)).toHaveProperty('topology.processors');
      expect(first(pipelineChannels.processorStart)).toMatchObject({
        processor: 'default',
        index: 0,
        context: { ctx: true },
      });
      expect(first(pipelineChannels.processorStop)).toMatchObject({
        processor: 'default',
        index: 0,
      });
      expect(first(pipelineChannels.processorStop)).toHaveProperty('durationMs');
      expect(first(pipelineChannels.messageStart)).toHaveProperty('message');
      expect(first(pipelineChannels.messageStop)).toHaveProperty('durationMs');
      expect(first(pipelineChannels.batcherStart)).toMatchObject({ batcher: 'default' });
      expect(first(pipelineChannels.batcherStop)).toHaveProperty('durationMs');
      expect(first(pipelineChannels.batchProcessorStart)).toMatchObject({
        batcher: 'default',
        index: 0,
      });
      expect(first(pipelineChannels.batchProcessorStop)).toHaveProperty('batchInfo.trigger');
      expect(first(pipelineChannels.handleFailedStart)).toMatchObject({ stage: 'processor' });
      expect(first(pipelineChannels.handleFailedStop)).toHaveProperty('durationMs');
      expect(errorOf(pipelineChannels.handleFailedException)).toBe('handleFailed broke');
      expect(first(pipelineChannels.ack)).toHaveProperty('successful');
      expect(first(pipelineChannels.rateLimit)).toMatchObject({
        state: 'open',
        allowedMessages: 1000,
        interval: 1000,
      });
      expect(first(pipelineChannels.producerError)).toMatchObject({
        kind: 'transformer',
        index: 0,
        count: 1,
      });
      expect(first(pipelineChannels.pipelineStop)).toMatchObject({ timedOut: false });
      // and the per-message exception channel, from a throwing handler
      const q = pipeline({
        name: 'observed',
        producer: { module: { init: () => ({ handleDemand: () => undefined }) } },
        processors: { default: {} },
        handleMessage() {
          throw new Error('handler threw');
        },
      });
      await q.start();
      await testBatch(q, [1]);
      expect(errorOf(pipelineChannels.messageException)).toBe('handler threw');
      expect(errorOf(pipelineChannels.ackError)).toBe('ack failed');
    } finally {
      for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    }
  });

  it('builds no payload when nobody subscribes', async () => {
    // The hot path only reads hasSubscribers; a handler sees the same
    // message object and nothing is published.
    const p = pipeline({
      producer: { module: { init: () => ({ handleDemand: () => undefined }) } },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    expect(diagnostics.channel(pipelineChannels.messageStart).hasSubscribers).toBe(false);
    const { successful } = await testBatch(p, [1, 2, 3]);
    expect(successful).toHaveLength(3);
  });
});
