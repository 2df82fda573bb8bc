import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createPipeline,
  failureReason,
  type Message,
  type PipelineDefinition,
  type StandardSchemaV1,
} from '../../src/index.ts';
import { until } from '../helpers.ts';
import { idle, listProducer, pipeline, recordingAcknowledger, stopAll } from './support.ts';

afterEach(stopAll);

const Order = z.object({ id: z.string(), total: z.coerce.number().positive() });

/** A hand-written Standard Schema validator that answers asynchronously. */
const asyncUpper: StandardSchemaV1<unknown, string> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: async (value) => {
      await Promise.resolve();
      return typeof value === 'string'
        ? { value: value.toUpperCase() }
        : { issues: [{ message: 'expected a string', path: [{ key: 'body' }] }] };
    },
  },
};

describe('schema', () => {
  it('parses data before handleMessage and fails mismatches with ERR_INVALID_DATA and the paths', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(
      [
        { id: 'a', total: '12.5' },
        { id: 7, total: -1 },
        { id: 'c', total: 3 },
      ],
      acks.acknowledger,
    );
    const seen: unknown[] = [];
    const failed: Message[] = [];
    const p = pipeline({
      producer: { module: source.module },
      schema: Order,
      processors: { default: { concurrency: 1 } },
      handleMessage(_p, message) {
        seen.push(message.data);
        return message;
      },
      handleFailed(messages) {
        failed.push(...messages);
        return messages;
      },
    });
    await p.start();
    await until(() => acks.successful().length + acks.failed().length === 3);
    // The handler saw the schema's output: total coerced to a number.
    expect(seen).toEqual([
      { id: 'a', total: 12.5 },
      { id: 'c', total: 3 },
    ]);
    expect(failed).toHaveLength(1);
    const reason = failureReason(failed[0]!.status) as Error & { code: string; issues: unknown[] };
    expect(reason.code).toBe('ERR_INVALID_DATA');
    expect(reason.message).toMatch(/^message 1: data does not match the schema: id: .+; total: .+/);
    expect(reason.issues).toHaveLength(2);
    // A failed message keeps the data as it was received.
    expect(failed[0]!.data).toEqual({ id: 7, total: -1 });
    expect(failed[0]!.status.kind).toBe('failed');
  });

  it('awaits async validators; a processor’s schema overrides the pipeline’s', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(['a', 1, 'b'], acks.acknowledger);
    const seen: string[] = [];
    const p = pipeline({
      producer: { module: source.module },
      schema: z.string().length(100), // would fail every message; the processor's wins
      processors: { default: { concurrency: 1, schema: asyncUpper } },
      handleMessage(_p, message) {
        seen.push(message.data);
        return message;
      },
    });
    await p.start();
    await until(() => acks.successful().length + acks.failed().length === 3);
    expect(seen).toEqual(['A', 'B']);
    expect(acks.failed()).toEqual([1]);
  });

  it('rejects a schema that is not a Standard Schema validator', () => {
    expect(() =>
      createPipeline({
        name: 'bad',
        producer: { module: idle() },
        processors: { default: {} },
        schema: { parse: () => 1 },
        handleMessage: (_p: string, m: Message) => m,
      } as unknown as PipelineDefinition),
    ).toThrow(/schema: expected a Standard Schema validator/);
  });
});
