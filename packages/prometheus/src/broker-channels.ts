/**
 * The producers' channels the exporter reads for retries and dead letters.
 * The names are the producers' (`sqsChannels`, `rabbitmqChannels`,
 * `kafkaChannels` in `@sluice/producers`), repeated here so this package
 * needs only core; a test checks they still match.
 */
export const brokerChannels = {
  sqsVisibility: 'sluice:sqs:visibility',
  sqsDeadLetter: 'sluice:sqs:dead-letter',
  rabbitmqRetry: 'sluice:rabbitmq:retry',
  rabbitmqDeadLetter: 'sluice:rabbitmq:dead-letter',
  kafkaRetry: 'sluice:kafka:retry',
  kafkaDlq: 'sluice:kafka:dlq',
} as const;

/** The fields read from those events. */
export interface SqsCountEvent {
  readonly queueUrl: string;
  readonly count: number;
  readonly reason?: string;
}
export interface RabbitMqRetryEvent {
  readonly queue: string;
}
export interface RabbitMqDeadLetterEvent {
  readonly queue: string;
  readonly count: number;
  /** Set when the publish failed and the broker dead-lettered them instead (a reject). */
  readonly error?: unknown;
}
export interface KafkaTopicEvent {
  readonly topic: string;
  readonly error?: unknown;
}

/** An SQS queue's name: the last segment of its URL. */
export function queueName(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').at(-1) ?? queueUrl;
}
