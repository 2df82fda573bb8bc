/**
 * The SQS acknowledger: what happens to a message once the pipeline is done
 * with it. Successes are deleted (`onSuccess`), failures are left, delayed,
 * deleted or dead-lettered (`onFailure`), each overridable per message with
 * `message.configureAck({ onFailure: 'retry' })`. Every acked message stops
 * being extended by the heartbeat.
 */
import {
  SluiceError,
  failureReason,
  redactUrl,
  type Acknowledger,
  type Message,
} from '@sluice/core';
import { BrokerError } from '../errors.ts';
import type { FailedEntry } from './batch-call.ts';
import type { SqsMessage } from './client.ts';
import { sendToDeadLetterQueue, type DeadLetter, type DeadLetterOptions } from './dead-letter.ts';
import type { Deleter, ReceiptRef } from './deleter.ts';
import {
  sqsOnFailure,
  sqsOnSuccess,
  type ResolvedSqsOptions,
  type SqsOnFailure,
  type SqsOnSuccess,
} from './options.ts';
import { retryVisibilityTimeout, type Visibility, type VisibilityChange } from './visibility.ts';

/** A message's `ackData`: the message as received, and its own ack options. */
export interface SqsAckData {
  readonly message: SqsMessage;
  readonly onSuccess?: SqsOnSuccess;
  readonly onFailure?: SqsOnFailure;
}

export interface SqsAcknowledgerDeps {
  readonly options: ResolvedSqsOptions;
  readonly deleter: Deleter;
  readonly visibility: Visibility;
  /** Set when `deadLetterQueueUrl` is. */
  readonly deadLetter: DeadLetterOptions | undefined;
}

export class SqsAcknowledger implements Acknowledger {
  readonly #d: SqsAcknowledgerDeps;

  constructor(deps: SqsAcknowledgerDeps) {
    this.#d = deps;
  }

  configure(_ackRef: unknown, ackData: unknown, options: Readonly<Record<string, unknown>>) {
    const out: { -readonly [K in keyof SqsAckData]: SqsAckData[K] } = {
      ...(ackData as SqsAckData),
    };
    for (const [key, value] of Object.entries(options)) {
      if (key === 'onSuccess') {
        out.onSuccess = oneOf(key, value, sqsOnSuccess.options);
      } else if (key === 'onFailure') {
        out.onFailure = oneOf(key, value, sqsOnFailure.options);
        if (value === 'deadLetter' && this.#d.deadLetter === undefined) {
          throw new SluiceError(
            'ERR_INVALID_OPTIONS',
            "configureAck: onFailure 'deadLetter' needs the producer's deadLetterQueueUrl",
          );
        }
      } else {
        throw new SluiceError(
          'ERR_INVALID_OPTIONS',
          `configureAck: unknown SQS ack option ${key}; expected onSuccess or onFailure`,
        );
      }
    }
    return out;
  }

  ack(_ackRef: unknown, successful: Message[], failed: Message[]): Promise<void> | undefined {
    const { options, deleter, visibility } = this.#d;
    const done: ReceiptRef[] = [];
    const toDelete: ReceiptRef[] = [];
    const toDelay: VisibilityChange[] = [];
    const toDeadLetter: DeadLetter[] = [];
    for (const m of successful) {
      const data = m.ackData as SqsAckData;
      const ref = refOf(data.message);
      done.push(ref);
      if ((data.onSuccess ?? options.onSuccess) === 'delete') toDelete.push(ref);
    }
    for (const m of failed) {
      const data = m.ackData as SqsAckData;
      const ref = refOf(data.message);
      done.push(ref);
      switch (data.onFailure ?? options.onFailure) {
        case 'noop':
          break;
        case 'delete':
          toDelete.push(ref);
          break;
        case 'retry': {
          const count = Number(data.message.attributes['ApproximateReceiveCount'] ?? 1);
          toDelay.push({
            ...ref,
            visibilityTimeout: retryVisibilityTimeout(
              Number.isFinite(count) ? count : 1,
              options.retryBackoff,
            ),
          });
          break;
        }
        case 'deadLetter':
          toDeadLetter.push({
            message: data.message,
            reason: failureReason(m.status),
            source: data,
          });
          break;
      }
    }
    visibility.untrack(done);
    const work: Promise<FailedEntry<{ readonly messageId: string }>[]>[] = [];
    if (toDelete.length > 0) work.push(deleter.delete(toDelete));
    if (toDelay.length > 0) work.push(visibility.change(toDelay, 'retry'));
    if (toDeadLetter.length > 0) work.push(this.#deadLetter(toDeadLetter));
    if (work.length === 0) return undefined;
    return Promise.all(work).then((outcomes) => {
      const refused = outcomes.flat();
      if (refused.length === 0) return;
      const ids = refused.map((f) => f.entry.messageId);
      throw new BrokerError(
        'ERR_BROKER_REQUEST',
        'sqs',
        `SQS refused to ack ${refused.length} messages of ${redactUrl(options.queueUrl)} (${[...new Set(refused.map((f) => f.code))].join(', ')}): ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`,
      );
    });
  }

  async #deadLetter(letters: DeadLetter[]): Promise<FailedEntry<ReceiptRef>[]> {
    const { sent, failed } = await sendToDeadLetterQueue(
      letters,
      this.#d.deadLetter as DeadLetterOptions,
    );
    const refused = failed.map((f) => ({ ...f, entry: refOf(f.entry.message) }));
    const notDeleted = await this.#d.deleter.delete(sent.map((l) => refOf(l.message)));
    return [...refused, ...notDeleted];
  }
}

function refOf(message: SqsMessage): ReceiptRef {
  return { receiptHandle: message.receiptHandle, messageId: message.messageId };
}

function oneOf<T extends string>(key: string, value: unknown, values: readonly T[]): T {
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw new SluiceError(
    'ERR_INVALID_OPTIONS',
    `configureAck: ${key}: expected one of ${values.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(value)}`,
  );
}
