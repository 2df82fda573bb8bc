/**
 * Renamed options keep working for one minor version. The old key stays in
 * its schema, marked `.meta({ deprecated: true, description: 'Deprecated:
 * use …' })` (editors strike it through), the schema's `.transform` moves
 * its value to the new key, and calls {@link warnDeprecated} once.
 */

const warned = new Set<string>();

/**
 * Emits a Node `DeprecationWarning` with `code`, once per process: the same
 * channel as Node's own deprecations, so `--no-deprecation`,
 * `--throw-deprecation` and `process.on('warning')` work on it. Each code is
 * listed in docs/errors.md with the release that removes the old name.
 *
 * @example
 * ```ts
 * warnDeprecated('SLUICE_DEP_KAFKA_RETRY_ATTEMPTS', 'retry.attempts is deprecated: use retry.maxAttempts (handlings, the first included)');
 * ```
 */
export function warnDeprecated(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'DeprecationWarning', code });
}
