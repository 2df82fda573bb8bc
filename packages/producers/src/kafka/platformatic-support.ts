/**
 * What the @platformatic/kafka adapter files share: loading the library,
 * the connection options every one of its clients gets, and turning its
 * errors into {@link BrokerError}s that name the topic or the brokers and
 * keep the library's error as `cause`.
 *
 * The 1.x line is the one used: it runs on Node 20.19.4 and later (the 2.x
 * line needs Node 22.22 or 24.6), and it gets fixes on its own branch.
 */
import type * as PlatformaticModule from '@platformatic/kafka';
import type { BrokerError } from '../errors.ts';
import { isNetworkError, messageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import { kafkaBrokerError, type KafkaErrorReading } from './broker-error.ts';

/** The @platformatic/kafka module, as `require('@platformatic/kafka')` returns it. */
export type Platformatic = typeof PlatformaticModule;

/** The version range the adapter is written and tested against. */
export const PLATFORMATIC_RANGE = '^1.35.0';

/** @platformatic/kafka, loaded at first use: `ERR_MISSING_LIBRARY` when it is not installed. */
export function loadPlatformatic(): Platformatic {
  return loadLibrary<Platformatic>('@platformatic/kafka', PLATFORMATIC_RANGE, 'Kafka');
}

/** What every @platformatic/kafka client of one `PlatformaticClient` is made with. */
export interface PlatformaticConnection {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly tls?: Record<string, unknown>;
  readonly sasl?: { mechanism: string; username: string; password: string };
}

/** The connection as @platformatic/kafka's options spell it. */
export function connectionOptions(c: PlatformaticConnection): Record<string, unknown> {
  return {
    clientId: c.clientId,
    bootstrapBrokers: c.bootstrapBrokers,
    ...(c.tls !== undefined && { tls: c.tls }),
    ...(c.sasl !== undefined && {
      sasl: { ...c.sasl, mechanism: c.sasl.mechanism.toUpperCase() },
    }),
  };
}

/** A @platformatic/kafka error as a {@link BrokerError}; `brokers` names the cluster in messages. */
export function toBrokerError(
  error: unknown,
  operation: string,
  topic: string | undefined,
  brokers: string,
): BrokerError {
  return kafkaBrokerError(error, readPlatformaticError, operation, topic, brokers);
}

function readPlatformaticError(error: unknown): KafkaErrorReading {
  return {
    topicMissing:
      hasApiId(error, 'UNKNOWN_TOPIC_OR_PARTITION') || hasApiId(error, 'UNKNOWN_TOPIC_ID'),
    unreachable: isUnreachable(error),
    text: describe(error),
  };
}

/** True when `error` (or one it wraps) is a Kafka protocol error `id`, e.g. `OFFSET_OUT_OF_RANGE`. */
export function hasApiId(error: unknown, id: string): boolean {
  const findBy = (error as { findBy?: (p: string, v: unknown) => unknown } | null)?.findBy;
  if (typeof findBy === 'function') return Boolean(findBy.call(error, 'apiId', id));
  return (error as { apiId?: unknown } | null)?.apiId === id;
}

function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'PLT_KFK_NETWORK') return true;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => isUnreachable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return isNetworkError(error);
}

/** The message, with the first wrapped error's when the library aggregates them. */
function describe(error: unknown): string {
  const inner = (error as { errors?: unknown } | null)?.errors;
  const first = Array.isArray(inner) ? (inner[0] as unknown) : undefined;
  return first === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(first)}`;
}
