/** The options of {@link instrumentSluice}, one definition each. */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { z } from 'zod';

/** What the options may say about one pipeline's source, overriding what its messages tell. */
export const pipelineHintsSchema = z
  .object({
    system: z.string().min(1).optional().meta({
      description:
        '`messaging.system`; read from the messages when absent (`kafka`, `rabbitmq`, `aws_sqs`).',
    }),
    destination: z.string().min(1).optional().meta({
      description:
        '`messaging.destination.name`: the queue or topic; read from the messages when absent (Kafka topic, RabbitMQ `exchange:routingKey`, the only SQS queue read).',
    }),
    consumerGroup: z.string().min(1).optional().meta({
      description:
        '`messaging.consumer.group.name`; for Kafka, the producer’s `groupId` when absent.',
    }),
  })
  .strict();

export const otelOptionsSchema = z
  .object({
    tracerProvider: z
      .custom<TracerProvider>((v) => typeof (v as TracerProvider)?.getTracer === 'function', {
        error: 'expected a TracerProvider (an object with getTracer)',
      })
      .optional()
      .meta({ description: 'A `TracerProvider`: where spans go; the global one when absent.' }),
    meterProvider: z
      .custom<MeterProvider>((v) => typeof (v as MeterProvider)?.getMeter === 'function', {
        error: 'expected a MeterProvider (an object with getMeter)',
      })
      .optional()
      .meta({ description: 'A `MeterProvider`: where metrics go; the global one when absent.' }),
    traces: z.boolean().default(true).meta({ description: 'Record spans.' }),
    metrics: z.boolean().default(true).meta({ description: 'Record metrics.' }),
    pipelines: z.record(z.string(), pipelineHintsSchema).default({}).meta({
      description:
        'By pipeline name: `{ system, destination, consumerGroup }` to report where its messages do not tell (Kafka group, SQS queue, RabbitMQ queue).',
    }),
  })
  .strict();

/** The options as given. */
export type OtelOptions = z.input<typeof otelOptionsSchema>;
/** The options with their defaults. */
export type ResolvedOtelOptions = z.output<typeof otelOptionsSchema>;
/** What the options may say about one pipeline. */
export type PipelineHints = z.input<typeof pipelineHintsSchema>;
