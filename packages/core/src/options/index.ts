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
 * - {@link libraryLoader}: loads an optional wire library a `client`
 *   option names, or says which package to install.
 *
 * Every option schema puts its default in `.default()` and its description
 * in `.meta({ description })`: the docs tables and the JSON Schema are
 * generated from them.
 */
import { optionBlocks } from './blocks.ts';
import { definitionSchemas } from '../pipeline/definition.ts';
import { generatorSchema as buildGeneratorSchema } from '../pipeline/generator-producer.ts';

export { MAX_CONCURRENCY, MAX_SUBSCRIPTIONS, MAX_TIMER_MS } from './blocks.ts';
export {
  joinPath as optionPath,
  parseOptions,
  schemaProblems,
  show as showValue,
  zFunction,
  type SchemaProblem,
} from './parse.ts';
export { warnDeprecated } from './deprecate.ts';
export { libraryLoader, type LoadLibrary } from './library.ts';
export { lazily, zod } from './zod.ts';

// This entry is for tools and option authors, so it builds the blocks and
// schemas (loading zod) when imported; `@sluice/core` itself builds them on
// first use.
const blocks = optionBlocks();

/** A count: an integer, 1 or more. */
export const positiveInt = blocks.positiveInt;
/** A count that may be 0: an integer, 0 or more. */
export const nonNegativeInt = blocks.nonNegativeInt;
/** A duration in ms: a finite positive number, at most {@link MAX_TIMER_MS}. */
export const positiveMs = blocks.positiveMs;
/** A `concurrency` option: a positive integer up to {@link MAX_CONCURRENCY}. */
export const concurrencyInt = blocks.concurrencyInt;
/** A queue, exchange, topic, group or pipeline name: a non-empty string. */
export const name = blocks.name;
/** A `logger` option: a pino logger (or anything with pino's `child`, `warn`, `error`…). */
export const pinoLogger = blocks.pinoLogger;
/** A `signal` option: an AbortSignal. */
export const abortSignal = blocks.abortSignal;

// Core's option schemas, for tools that extend them (the CLI's pipeline files)
const definition = definitionSchemas();

/** One processor group's options. */
export const processorSchema = definition.processorSchema;
/** One batcher's options. */
export const batcherSchema = definition.batcherSchema;
/** `producer.rateLimiting`: a budget shared by every producer instance. */
export const rateLimitingSchema = definition.rateLimitingSchema;
/** `producer`: the source and how many instances of it run. */
export const producerDefinitionSchema = definition.producerDefinitionSchema;
/** The pipeline definition's fields, before the rules that relate them. */
export const pipelineDefinitionObject = definition.pipelineDefinitionObject;
/** The pipeline definition: the fields, the rules that relate them, the cross-field defaults. */
export const pipelineDefinitionSchema = definition.pipelineDefinitionSchema;
/** `generatorProducer`'s options. */
export const generatorSchema = buildGeneratorSchema();
