/**
 * `@sluice/core/options`: the zod building blocks and the parser behind
 * every Sluice option, for producer and sink authors and for tools.
 *
 * - Blocks: {@link positiveInt}, {@link nonNegativeInt}, {@link positiveMs},
 *   {@link concurrencyInt}, {@link name}, with the limits they enforce.
 * - {@link parseOptions}: validates once at the API boundary and throws one
 *   `InvalidOptionsError` naming every bad option's path and value (secrets
 *   hidden).
 * - {@link schemaProblems}, {@link showValue}, {@link optionPath}: the same
 *   wording for tools that report problems themselves.
 *
 * Every option schema puts its default in `.default()` and its description
 * in `.meta({ description })`: the docs tables and the JSON Schema are
 * generated from them.
 */
export {
  MAX_CONCURRENCY,
  MAX_SUBSCRIPTIONS,
  MAX_TIMER_MS,
  abortSignal,
  concurrencyInt,
  name,
  pinoLogger,
  nonNegativeInt,
  positiveInt,
  positiveMs,
} from './blocks.ts';
export {
  joinPath as optionPath,
  parseOptions,
  schemaProblems,
  show as showValue,
  zFunction,
  type SchemaProblem,
} from './parse.ts';
export { warnDeprecated } from './deprecate.ts';

// Core's option schemas, for tools that extend them (the CLI's pipeline files)
export {
  batcherSchema,
  pipelineDefinitionObject,
  pipelineDefinitionSchema,
  processorSchema,
  producerDefinitionSchema,
  rateLimitingSchema,
} from '../pipeline/definition.ts';
export { generatorSchema } from '../pipeline/generator-producer.ts';
