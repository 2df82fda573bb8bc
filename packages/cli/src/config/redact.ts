/**
 * Keeps secrets out of logs and `sluice validate` output: values of keys
 * that name a secret, passwords inside URLs, and anything that came from an
 * environment variable whose name looks secret.
 */

const SECRET_KEY =
  /pass(word)?|secret|token|credential|api[-_]?key|private[-_]?key|^key$|accesskey|sasl/i;

export const REDACTED = '[redacted]';

/** True when a key (the last segment of a path) names a secret. */
export function isSecretKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && SECRET_KEY.test(key);
}

/** Hides the password in `scheme://user:password@host` URLs. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s/]+@/gi, `$1${REDACTED}@`);
}

/** A deep copy of `value` with every secret replaced by `[redacted]`. */
export function redact(value: unknown, secrets: ReadonlySet<string> = new Set()): unknown {
  const walk = (v: unknown, key: string | number | undefined): unknown => {
    if (isSecretKey(key) && v !== undefined && v !== null && typeof v !== 'object') return REDACTED;
    if (typeof v === 'string') return secrets.has(v) && isSecretKey(key) ? REDACTED : redactUrl(v);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, i));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
    }
    return v;
  };
  return walk(value, undefined);
}
