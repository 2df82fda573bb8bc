/**
 * Type tests: the handlers' messages carry the producer's, transformer's
 * and schema's types with no casts. `npm run typecheck` compiles this file
 * (the `@ts-expect-error` lines fail it if a type grows too loose); vitest
 * runs the `expectTypeOf` checks, which do nothing at run time.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  Message,
  createPipeline,
  definePipeline,
  generatorProducer,
  noopAcknowledger,
  type BatchSizeAccumulator,
  type ProducerModule,
} from '../../src/index.ts';

interface ShopMeta {
  readonly [key: string]: unknown;
  readonly shop: string;
}
type ShopAck = { readonly onFailure?: 'requeue' | 'drop' };
/** A module that declares its types, as the broker producers do. */
const shop: ProducerModule<Buffer, ShopMeta, ShopAck> = {
  init: () => ({ handleDemand: () => [] }),
};

describe('pipeline types', () => {
  it('passes the producer module’s data, metadata and ack options to every handler', () => {
    definePipeline({
      name: 'typed',
      producer: { module: shop },
      processors: { default: {} },
      batchers: { b: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<Buffer>();
        expectTypeOf(message.metadata.shop).toEqualTypeOf<string>();
        message.configureAck({ onFailure: 'requeue' });
        // @ts-expect-error: not one of the producer's ack options
        message.configureAck({ onFailure: 'explode' });
        return message.putBatcher('b');
      },
      handleBatch(_b, messages) {
        expectTypeOf(messages[0]!.data).toEqualTypeOf<Buffer>();
        return messages;
      },
      handleFailed(messages) {
        expectTypeOf(messages[0]!.metadata).toEqualTypeOf<ShopMeta>();
        return messages;
      },
    });
  });

  it('gives the generator’s data type, and no ack options', () => {
    createPipeline({
      name: 'gen',
      producer: { module: generatorProducer({ count: 1, data: (n) => `#${n}` }) },
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<string>();
        // @ts-expect-error: the generator takes no ack options
        message.configureAck({ onFailure: 'requeue' });
        return message;
      },
    });
  });

  it('types data as the schema’s output, on the pipeline or on the processor', () => {
    const Order = z.object({ id: z.string(), total: z.coerce.number() });
    definePipeline({
      name: 'schema',
      producer: { module: shop },
      schema: Order,
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<{ id: string; total: number }>();
        expectTypeOf(message.metadata.shop).toEqualTypeOf<string>();
        // @ts-expect-error: no such field in the schema
        void message.data.customer;
        return message;
      },
      handleBatch(_b, messages) {
        expectTypeOf(messages[0]!.data.total).toEqualTypeOf<number>();
        return messages;
      },
    });
    definePipeline({
      name: 'processor-schema',
      producer: { module: generatorProducer() },
      processors: { default: { concurrency: 2, schema: z.object({ n: z.number().int() }) } },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<{ n: number }>();
        return message;
      },
    });
  });

  it('gives handleBatch what handleMessage returns; failing does not widen it', () => {
    const chars: BatchSizeAccumulator<number, Message<string, object, object>> = {
      initial: 0,
      accumulate: (m, acc) => ({ emit: acc + m.data.length > 1000, acc: acc + m.data.length }),
    };
    definePipeline({
      name: 'serialized',
      producer: { module: generatorProducer({ data: (n) => ({ id: n }) }) },
      processors: { default: {} },
      batchers: { out: { batchSize: chars } },
      handleMessage(_p, message) {
        if (message.data.id === 0) return message.fail('zero');
        return message.putData(JSON.stringify(message.data)).putBatcher('out');
      },
      handleBatch(_b, messages) {
        expectTypeOf(messages[0]!.data).toEqualTypeOf<string>();
        return messages;
      },
      handleFailed(messages) {
        // From a processor (as received) or from a batch (as serialized).
        expectTypeOf(messages[0]!.data).toEqualTypeOf<{ id: number } | string>();
        return messages;
      },
    });
  });

  it('takes the transformer’s message type over the module’s', () => {
    definePipeline({
      name: 'transformed',
      producer: {
        module: shop,
        transformer: (event) =>
          new Message<string, { at: number }>({
            data: String(event),
            metadata: { at: 1 },
            acknowledger: noopAcknowledger,
          }),
      },
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<string>();
        expectTypeOf(message.metadata.at).toEqualTypeOf<number>();
        return message;
      },
    });
  });

  it('keeps handlers typed when a definition is shared', () => {
    const shared = definePipeline({
      name: 'shared',
      producer: { module: shop },
      processors: { default: {} },
      handleMessage: (_p, message) => message,
    });
    expectTypeOf<Parameters<typeof shared.handleMessage>[1]>().toEqualTypeOf<
      Message<Buffer, ShopMeta, ShopAck>
    >();
    createPipeline(shared);
  });
});
