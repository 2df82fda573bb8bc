/**
 * The optional `schema` of a pipeline or processor: any Standard Schema
 * validator parses `message.data` before `handleMessage`. A mismatch fails
 * the message with `ERR_INVALID_DATA`, naming every issue and its path.
 */
import { SluiceError } from '../errors.ts';
import { isThenable } from '../internal/thenable.ts';
import type { Message } from './message.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';

/** True for a value that carries a Standard Schema `~standard.validate`. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as Record<string, unknown>)['~standard'];
  return (
    typeof props === 'object' &&
    props !== null &&
    typeof (props as Record<string, unknown>)['validate'] === 'function'
  );
}

/** `path: message` per issue, joined with `; `. */
export function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((p) => String(typeof p === 'object' ? p.key : p))
        .join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** The error a message fails with when its data does not match. */
export function invalidDataError(
  message: Message,
  issues: readonly StandardSchemaV1.Issue[],
): SluiceError {
  const error = new SluiceError(
    'ERR_INVALID_DATA',
    `message ${String(message.id ?? '(no id)')}: data does not match the schema: ${describeIssues(issues)}`,
  );
  return Object.assign(error, { issues });
}

/**
 * Wraps `handle` so `message.data` is validated first: on success the data
 * becomes the schema's output and `handle` runs; on failure the message is
 * failed (not crashed: the data is bad, not the code) and returned.
 */
export function withSchema(
  schema: StandardSchemaV1,
  handle: (message: Message) => unknown,
): (message: Message) => unknown {
  const validate = schema['~standard'].validate;
  const after = (message: Message, result: StandardSchemaV1.Result<unknown>): unknown => {
    if (result.issues) return message.fail(invalidDataError(message, result.issues));
    message.data = result.value;
    return handle(message);
  };
  return (message) => {
    const result = validate(message.data);
    return isThenable(result)
      ? Promise.resolve(result).then((r) => after(message, r))
      : after(message, result);
  };
}
