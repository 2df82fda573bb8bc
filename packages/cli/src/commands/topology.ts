/** `sluice topology <file>`: the stage graph, as text. */
import { createPipeline, type ResolvedDefinition } from '@sluice/core';
import { buildDefinition } from '../build.ts';
import { loadConfig } from '../config/load.ts';
import { reportInvalid } from './report.ts';

export function describeTopology(d: ResolvedDefinition<unknown>, producerType: string): string {
  const p = d.processor;
  const lines = [
    d.name,
    `  producer ${producerType} ×${d.producer.concurrency}${d.producer.rateLimiting ? ` (at most ${d.producer.rateLimiting.allowedMessages} per ${d.producer.rateLimiting.interval} ms)` : ''}`,
    `  └─▶ processors ${p.key} ×${p.concurrency} (maxDemand ${p.maxDemand}, minDemand ${p.minDemand}${p.partitionBy ? ', partitioned' : ''})`,
  ];
  d.batchers.forEach((b, i) => {
    const last = i === d.batchers.length - 1;
    const size = typeof b.batchSize === 'number' ? `batchSize ${b.batchSize}` : 'custom batchSize';
    lines.push(
      `        ${last ? '└' : '├'}─▶ batcher ${b.key} (${size}, batchTimeout ${b.batchTimeout} ms)`,
    );
    lines.push(`        ${last ? ' ' : '│'}     └─▶ batch processors ×${b.concurrency}`);
  });
  if (d.batchers.length === 0) lines.push('        └─▶ ack');
  return lines.join('\n');
}

export async function topology(file: string): Promise<number> {
  try {
    const loaded = loadConfig(file);
    const pipeline = createPipeline(await buildDefinition(loaded));
    console.log(describeTopology(pipeline.definition, loaded.config.producer.type));
    return 0;
  } catch (error) {
    return reportInvalid(file, error);
  }
}
