/** Opens the dead-letter adapter for a pipeline file's producer. */
import type { PipelineConfig } from '../config/schema.ts';
import { DlqConfigError, type DlqAdapter } from './types.ts';

export type { DeadLetter, DlqAdapter, ReplayOptions, ReplayResult } from './types.ts';
export { DlqConfigError } from './types.ts';

/** Where the dead letters are, when the file does not say. */
export interface DlqTarget {
  /** The dead-letter queue URL, topic or queue name. */
  readonly dlq?: string | undefined;
  /** Kafka: the consumer group that tracks what was replayed. */
  readonly group?: string | undefined;
}

/** The adapter for the file's broker (each loads its wire library only when used). */
export async function openDlq(config: PipelineConfig, target: DlqTarget): Promise<DlqAdapter> {
  const p = config.producer;
  switch (p.type) {
    case 'sqs':
      return (await import('./sqs.ts')).sqsDlq(p, target.dlq);
    case 'kafka':
      return (await import('./kafka.ts')).kafkaDlq(p, target.dlq, target.group);
    case 'rabbitmq':
      return (await import('./rabbitmq.ts')).rabbitmqDlq(p, target.dlq);
    default:
      throw new DlqConfigError(
        `producer type '${p.type}': sluice dlq works with sqs, kafka and rabbitmq dead letters`,
      );
  }
}
