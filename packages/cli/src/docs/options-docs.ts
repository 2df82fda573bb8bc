/**
 * The docs' option tables, generated from the option schemas: each table
 * sits between `<!-- options:<name>:start -->` and
 * `<!-- options:<name>:end -->` in its doc. `npm run docs:options` rewrites
 * them; a test fails when one is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batcherSchema, processorSchema } from '@sluice/core/options';
import { kafkaOptionsObject } from '@sluice/producers/kafka/options';
import { natsOptionsObject } from '@sluice/producers/nats/options';
import { rabbitmqOptionsObject } from '@sluice/producers/rabbitmq/options';
import { redisOptionsObject } from '@sluice/producers/redis/options';
import { sqsOptionsObject } from '@sluice/producers/sqs/options';
import { exporterOptionsSchema, serverOptionsSchema } from '@sluice/prometheus/options';
import { otelOptionsSchema } from '@sluice/otel/options';
import { httpSinkOptionsObject } from '@sluice/sinks/http/options';
import { kafkaSinkOptionsObject } from '@sluice/sinks/kafka/options';
import { rabbitMqSinkOptionsObject } from '@sluice/sinks/rabbitmq/options';
import { sqsSinkOptionsObject } from '@sluice/sinks/sqs/options';
import { postgresSinkOptionsObject } from '@sluice/sinks/postgres/options';
import type { z } from 'zod';
import { producerCommonOptions } from '../config/producer-schema.ts';
import { configSchema } from '../config/schema.ts';
import { fileOptions, generatorOptions, stdinOptions } from '../producers/options.ts';
import { optionRows, optionTable, type TableOptions } from './option-table.ts';

/** One generated table: which schema, rendered into which doc. */
export interface OptionDoc extends TableOptions {
  readonly name: string;
  /** The doc, relative to the repository's root. */
  readonly doc: string;
  readonly schema: z.ZodType;
}

export const OPTION_DOCS: readonly OptionDoc[] = [
  { name: 'sqs', doc: 'docs/producers/sqs.md', schema: sqsOptionsObject },
  { name: 'kafka', doc: 'docs/producers/kafka.md', schema: kafkaOptionsObject },
  { name: 'rabbitmq', doc: 'docs/producers/rabbitmq.md', schema: rabbitmqOptionsObject },
  { name: 'redis', doc: 'docs/producers/redis.md', schema: redisOptionsObject },
  { name: 'nats', doc: 'docs/producers/nats.md', schema: natsOptionsObject },
  { name: 'otel', doc: 'docs/otel.md', schema: otelOptionsSchema },
  { name: 'postgres-sink', doc: 'docs/sinks.md', schema: postgresSinkOptionsObject },
  { name: 'http-sink', doc: 'docs/sinks.md', schema: httpSinkOptionsObject },
  { name: 'kafka-sink', doc: 'docs/sinks.md', schema: kafkaSinkOptionsObject },
  { name: 'sqs-sink', doc: 'docs/sinks.md', schema: sqsSinkOptionsObject },
  { name: 'rabbitmq-sink', doc: 'docs/sinks.md', schema: rabbitMqSinkOptionsObject },
  // The file's own keys; processors, batchers and producers have their tables.
  { name: 'pipeline', doc: 'docs/config.md', schema: configSchema, shallow: true },
  { name: 'processor', doc: 'docs/config.md', schema: processorSchema },
  { name: 'batcher', doc: 'docs/config.md', schema: batcherSchema },
  { name: 'producer', doc: 'docs/config.md', schema: producerCommonOptions },
  { name: 'generator', doc: 'docs/config.md', schema: generatorOptions },
  { name: 'file', doc: 'docs/config.md', schema: fileOptions },
  { name: 'stdin', doc: 'docs/config.md', schema: stdinOptions },
  { name: 'prometheus-exporter', doc: 'docs/prometheus.md', schema: exporterOptionsSchema },
  { name: 'prometheus-server', doc: 'docs/prometheus.md', schema: serverOptionsSchema },
];

const start = (name: string): string => `<!-- options:${name}:start -->`;
const end = (name: string): string => `<!-- options:${name}:end -->`;

/** `text` with the table of `entry` between its markers, or undefined if a marker is missing. */
export function withTable(text: string, entry: OptionDoc): string | undefined {
  const from = text.indexOf(start(entry.name));
  const to = text.indexOf(end(entry.name));
  if (from === -1 || to === -1 || to < from) return undefined;
  const table = optionTable(optionRows(entry.schema, entry));
  return `${text.slice(0, from + start(entry.name).length)}\n\n${table}\n\n${text.slice(to)}`;
}

/** What {@link updateOptionDocs} found. */
export interface OptionDocsReport {
  /** `doc (options:name)` of each table that differed from its schema. */
  readonly stale: readonly string[];
  /** `doc (options:name)` of each table whose markers are missing: skipped. */
  readonly skipped: readonly string[];
}

/**
 * Renders every table into its doc under `root`. With `write`, stale docs
 * are rewritten; without, nothing is written (the check the tests run).
 */
export function updateOptionDocs(root: string, options: { write: boolean }): OptionDocsReport {
  const stale: string[] = [];
  const skipped: string[] = [];
  for (const doc of new Set(OPTION_DOCS.map((d) => d.doc))) {
    const path = join(root, doc);
    const before = readFileSync(path, 'utf8');
    let text = before;
    for (const entry of OPTION_DOCS.filter((d) => d.doc === doc)) {
      const next = withTable(text, entry);
      const label = `${doc} (options:${entry.name})`;
      if (next === undefined) skipped.push(label);
      else if (next !== text) stale.push(label);
      text = next ?? text;
    }
    if (options.write && text !== before) writeFileSync(path, text);
  }
  return { stale, skipped };
}
