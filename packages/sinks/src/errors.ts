/**
 * The errors sinks fail messages with (see docs/errors.md): a
 * {@link SinkError} carries a stable code and the sink's name.
 */
import { SluiceError } from '@sluice/core';

/** The codes of {@link SinkError}. */
export type SinkErrorCode =
  /** The service refused this message's write: a constraint, a 4xx, a bad value. */
  | 'ERR_SINK_REFUSED'
  /** The message's data could not be turned into what the sink writes. */
  | 'ERR_SINK_DATA'
  /** The service could not be reached, or did not confirm the write (after any retries). */
  | 'ERR_SINK_UNAVAILABLE';

/** Why a sink failed a message, or a batch. */
export class SinkError extends SluiceError<SinkErrorCode> {
  /** The sink's name, e.g. `PostgreSQL table orders`. */
  readonly sink: string;

  constructor(code: SinkErrorCode, sink: string, message: string, options?: ErrorOptions) {
    super(code, `${sink}: ${message}`, options);
    this.name = 'SinkError';
    this.sink = sink;
  }
}
