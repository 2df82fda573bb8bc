/**
 * Every option of every core schema is described: editors show the
 * description from the JSON Schema, and the docs' option tables are
 * generated from the same `.meta({ description })`.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  batcherSchema,
  generatorSchema,
  pipelineDefinitionSchema,
  processorSchema,
  producerDefinitionSchema,
  rateLimitingSchema,
} from '../../src/options/index.ts';
import { rateLimitUpdateSchema } from '../../src/pipeline/rate-limiter.ts';
import { stageOptionSchemas } from '../../src/stage/options.ts';
import { demandDispatcherSchema } from '../../src/stage/demand-dispatcher.ts';
import { partitionDispatcherSchema } from '../../src/stage/partition-dispatcher.ts';
import { taskConsumerSchema } from '../../src/stage/task-consumer.ts';
import { fromIterableSchema } from '../../src/stage/from-iterable.ts';
import { layerSchema } from '../../src/flow/plan.ts';
import { fromProducerSchema } from '../../src/flow/from-producer.ts';

const {
  consumerOptionsSchema,
  producerConsumerOptionsSchema,
  producerOptionsSchema,
  subscriptionSchema,
} = stageOptionSchemas();

const schemas: Record<string, z.ZodType> = {
  pipelineDefinitionSchema,
  processorSchema,
  batcherSchema,
  producerDefinitionSchema,
  rateLimitingSchema,
  generatorSchema,
  rateLimitUpdateSchema: rateLimitUpdateSchema(),
  subscriptionSchema,
  producerOptionsSchema,
  producerConsumerOptionsSchema,
  consumerOptionsSchema,
  demandDispatcherSchema: demandDispatcherSchema(),
  partitionDispatcherSchema: partitionDispatcherSchema(),
  taskConsumerSchema: taskConsumerSchema(),
  fromIterableSchema: fromIterableSchema(),
  layerSchema: layerSchema(),
  fromProducerSchema: fromProducerSchema(),
};

/** The paths of the properties, at any depth, that have no description. */
function undescribed(node: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(node)) {
    node.forEach((n, i) => undescribed(n, `${path}[${i}]`, out));
  } else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    const properties = record['properties'] as Record<string, Record<string, unknown>> | undefined;
    for (const [key, property] of Object.entries(properties ?? {})) {
      if (typeof property['description'] !== 'string') out.push(`${path}.${key}`);
    }
    for (const [key, value] of Object.entries(record)) undescribed(value, `${path}/${key}`, out);
  }
  return out;
}

describe('core option schemas', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: every option has a description in the JSON Schema`, () => {
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      expect(undescribed(json, name, [])).toEqual([]);
    });
  }

  it('fills in defaults from the schema alone', () => {
    const batcher = batcherSchema.parse({});
    expect(batcher).toEqual({ concurrency: 1, batchSize: 100, batchTimeout: 1000 });
    const processor = processorSchema.parse({ concurrency: 40 });
    expect(processor).toEqual({ concurrency: 40, maxDemand: 10, minDemand: 5 });
    expect(subscriptionSchema.parse({})).toEqual({
      maxDemand: 1000,
      minDemand: 500,
      cancel: 'permanent',
    });
  });
});
