/** amqplib's errors as {@link BrokerError}s that name the queue or exchange, with amqplib's error as `cause`. */
import { BrokerError } from '../errors.ts';
import { isNetworkError, messageOf } from '../internal/error-helpers.ts';

/**
 * Maps an amqplib error. A 404 channel close names the missing queue or
 * exchange in its text ("NOT_FOUND - no queue 'orders' in vhost '/'").
 */
export function toBrokerError(error: unknown, operation: string, subject: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const text = messageOf(error);
  if ((error as { code?: unknown } | null)?.code === 404) {
    const missing = /no (queue|exchange) '([^']*)'/.exec(text);
    const kind = missing?.[1] ?? (subject.startsWith('exchange') ? 'exchange' : 'queue');
    const name = missing?.[2] ?? subject.replace(/^\w+ /, '');
    return new BrokerError(
      kind === 'exchange' ? 'ERR_EXCHANGE_NOT_FOUND' : 'ERR_QUEUE_NOT_FOUND',
      'rabbitmq',
      `RabbitMQ ${kind} ${name} does not exist (${operation})`,
      { cause: error },
    );
  }
  if (isClosedError(error)) {
    return new BrokerError(
      'ERR_BROKER_CLOSED',
      'rabbitmq',
      `RabbitMQ ${operation} on ${subject} failed: ${text}`,
      { cause: error },
    );
  }
  if (isNetworkError(error)) {
    return new BrokerError(
      'ERR_BROKER_UNREACHABLE',
      'rabbitmq',
      `lost RabbitMQ (${operation} on ${subject}): ${text}`,
      { cause: error },
    );
  }
  return new BrokerError(
    'ERR_BROKER_REQUEST',
    'rabbitmq',
    `RabbitMQ ${operation} on ${subject} failed: ${text}`,
    { cause: error },
  );
}

/** amqplib's error for a call on a closed channel or connection. */
export function isClosedError(error: unknown): boolean {
  return error instanceof Error && error.name === 'IllegalOperationError';
}

/** An `error` listener that only keeps amqplib from escalating: `close` carries the error. */
export function ignore(): void {}
