/**
 * Every error Sluice throws is a {@link SluiceError} with a stable `code`.
 * Codes are never reused for a different meaning; docs/errors.md lists them.
 */

/** The stable codes carried by {@link SluiceError}. */
export type SluiceErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_STAGE_STOPPED'
  | 'ERR_STAGE_KIND'
  | 'ERR_UNKNOWN_PARTITION'
  | 'ERR_PARTITION_TAKEN'
  | 'ERR_ALREADY_SUBSCRIBED'
  | 'ERR_UNKNOWN_SUBSCRIPTION'
  | 'ERR_BAD_RETURN'
  | 'ERR_TASK_FAILED'
  | 'ERR_ACK_FAILED'
  | 'ERR_HANDLER_TIMEOUT'
  | 'ERR_INVALID_DATA'
  | 'ERR_PIPELINE_STATE';

/**
 * Base class of every error Sluice throws. Check `code`, not the message.
 * Packages beside core extend it with codes of their own (`BrokerError`'s
 * `ERR_BROKER_*`, the CLI's `ERR_INVALID_CONFIG`); `C` is their code type.
 */
export class SluiceError<C extends string = SluiceErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** One problem found while validating options. */
export interface OptionIssue {
  /** Dotted path of the offending option, e.g. `processors.default.concurrency`. */
  readonly path: string;
  /** What was expected, e.g. `expected a positive integer`. */
  readonly message: string;
  /** The value that was given (`undefined` when the option was missing). */
  readonly value: unknown;
}

/**
 * Thrown at once when options are invalid. The message lists every problem,
 * each with its path and the value given; `issues` has them as data.
 */
export class InvalidOptionsError extends SluiceError {
  readonly issues: readonly OptionIssue[];

  constructor(what: string, issues: readonly OptionIssue[], formatted: readonly string[]) {
    const body =
      formatted.length === 1
        ? ` ${formatted[0]}`
        : `\n${formatted.map((l) => `  - ${l}`).join('\n')}`;
    super('ERR_INVALID_OPTIONS', `invalid ${what}:${body}`);
    this.name = 'InvalidOptionsError';
    this.issues = issues;
  }
}

/** True when `reason` is a normal stop: `'normal'`, `'shutdown'` or `{ shutdown: … }`. */
export function isNormalReason(reason: unknown): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (typeof reason === 'object' && reason !== null && 'shutdown' in reason)
  );
}
