/**
 * Keeps secrets out of error messages, logs and printed configurations.
 * The one place Sluice decides what is secret: core's option errors, the
 * producers' errors and the CLI's output all go through it.
 *
 * Hidden, at any depth:
 * - every value under a key that names a secret (`password`, `token`,
 *   `credentials`, `sasl`, …), whatever its type or shape;
 * - the credentials of a URL (`scheme://user:[redacted]@host`), even when
 *   the password holds an unencoded `/` or `@`: everything between
 *   `scheme://` and the last `@` is taken as credentials;
 * - any text a caller says came from elsewhere (an environment variable),
 *   shown as `[redacted: from $VAR]`.
 */

/** What a hidden value is shown as. */
export const REDACTED = '[redacted]';

/** Text spliced into a value from a named variable (the CLI's `${VAR}`). */
export interface SecretSource {
  /** The variable's name, without `$`. */
  readonly name: string;
  /** The text it put into the value. */
  readonly value: string;
}

/** Where a value sits and what in it came from variables; see {@link redact}. */
export interface RedactOptions {
  /** The keys of the value in the object it belongs to: a secret-named ancestor counts. */
  readonly path?: readonly PropertyKey[];
  /** The variables whose text went into the value at `path`, if any. */
  readonly sources?: (path: readonly PropertyKey[]) => readonly SecretSource[] | undefined;
}

const SECRET_KEY =
  /pass(?:word|wd|phrase)?|pwd|secret|token|credential|api[-_]?key|private[-_]?key|access[-_]?key|sasl|^auth(?:orization)?$|^pfx$/i;
const URL_KEY = /(?:ur[il]s?|endpoints?|dsn|connection[-_]?string|brokers?)$/i;
const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
const PLACEHOLDER = /^\[redacted(?:: from [^\]]*)?\]$/;

/** True when `text` is what {@link redact} shows for a hidden value. */
export function isRedacted(text: string): boolean {
  return PLACEHOLDER.test(text);
}

/** True when a key names a secret: its value, and everything under it, is never shown. */
export function isSecretKey(key: PropertyKey | undefined): boolean {
  return typeof key === 'string' && SECRET_KEY.test(key);
}

function isUrlKey(key: PropertyKey | undefined): boolean {
  return typeof key === 'string' && URL_KEY.test(key);
}

/** A span of a string to hide, and the variables it came from. */
interface Span {
  start: number;
  end: number;
  names: string[];
}

/**
 * Where the credentials of the URL that starts at `from` (its `scheme://`)
 * are: from after `://` (or after the user name and `:`) to the last `@`
 * before `end`. Undefined when it has no `@`.
 */
function credentials(text: string, from: number, end: number): Span | undefined {
  const start = text.indexOf('://', from) + 3;
  const at = text.lastIndexOf('@', end - 1);
  if (at < start) return undefined;
  const colon = text.indexOf(':', start);
  // `file:///x/@scope/y` has no authority, and `https://host/x/@y` has an @
  // in its path: user info without a `:` (a token) has no `/`.
  const info = text.slice(start, at);
  if (info.startsWith('/') || (!info.includes(':') && info.includes('/'))) return undefined;
  // A user name has no `:`; with none, the whole user info is one credential (a token).
  const hidden = colon !== -1 && colon < at ? colon + 1 : start;
  return hidden < at ? { start: hidden, end: at, names: [] } : undefined;
}

/** The credentials of every URL in `text`, each URL running to the next whitespace. */
function urlSpans(text: string, whole: boolean): Span[] {
  const spans: Span[] = [];
  if (whole) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
    if (scheme !== null) {
      const span = credentials(text, 0, text.length);
      return span === undefined ? [] : [span];
    }
    // No scheme, under a URL key (`user:pass@host:9092`): the same rule without one.
    const at = text.lastIndexOf('@');
    if (at <= 0) return [];
    const colon = text.indexOf(':');
    const start = colon !== -1 && colon < at ? colon + 1 : 0;
    return start < at ? [{ start, end: at, names: [] }] : [];
  }
  for (const match of text.matchAll(SCHEME)) {
    const from = match.index;
    const space = text.slice(from).search(/\s/);
    const span = credentials(text, from, space === -1 ? text.length : from + space);
    if (span !== undefined) spans.push(span);
  }
  return spans;
}

/** Every occurrence of each secret in `text`; short ones only as whole words. */
function secretSpans(text: string, secrets: readonly SecretSource[]): Span[] {
  const spans: Span[] = [];
  for (const { name, value } of secrets) {
    if (value === '') continue;
    let at = text.indexOf(value);
    while (at !== -1) {
      const end = at + value.length;
      const word = /[A-Za-z0-9]/;
      const bounded = !word.test(text[at - 1] ?? '') && !word.test(text[end] ?? '');
      if (value.length >= 6 || bounded) spans.push({ start: at, end, names: name ? [name] : [] });
      at = text.indexOf(value, at + 1);
    }
  }
  return spans;
}

function label(names: readonly string[]): string {
  const unique = [...new Set(names)];
  return unique.length === 0
    ? REDACTED
    : `[redacted: from ${unique.map((n) => `$${n}`).join(', ')}]`;
}

/** `text` with the spans replaced, overlapping spans merged into one. */
function hide(text: string, spans: Span[]): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  let current: Span | undefined;
  for (const span of spans) {
    if (current !== undefined && span.start < current.end) {
      current.end = Math.max(current.end, span.end);
      current.names.push(...span.names);
      continue;
    }
    if (current !== undefined) out += label(current.names);
    out += text.slice(at, span.start);
    current = { ...span, names: [...span.names] };
    at = span.end;
  }
  if (current !== undefined) {
    out += label(current.names);
    at = current.end;
  }
  return out + text.slice(at);
}

/**
 * `url` with its credentials hidden: `amqp://guest:[redacted]@host:5672`.
 * Works on URLs that do not parse: everything between `scheme://` and the
 * last `@` is taken as credentials (the user name, up to the first `:`,
 * stays), so a password with an unencoded `/` or `@` is hidden whole. A
 * string without `scheme://` is searched for URLs, as {@link redactText}.
 */
export function redactUrl(url: string): string {
  return hide(url, urlSpans(url, /^[a-z][a-z0-9+.-]*:\/\//i.test(url)));
}

/**
 * Free text (a library's error message) with the credentials of every URL
 * in it hidden, each URL running to the next whitespace, and every
 * occurrence of `secrets` hidden too: `redactText(error.message,
 * urlSecrets(url))` hides what a library's message repeats of a URL it
 * could not parse.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return hide(text, [
    ...urlSpans(text, false),
    ...secretSpans(
      text,
      secrets.map((value) => ({ name: '', value })),
    ),
  ]);
}

/**
 * The secret parts of a URL, for {@link redactText}: its password (as
 * written and percent-decoded) and, when the password has unencoded `@`,
 * `/`, `:`, `?` or `#`, each piece between them, since a library that
 * misreads the URL may name a piece as a host or a path.
 */
export function urlSecrets(url: string): string[] {
  const span = urlSpans(url, true)[0];
  if (span === undefined) return [];
  const password = url.slice(span.start, span.end);
  const out = new Set([password]);
  try {
    out.add(decodeURIComponent(password));
  } catch {
    // Not valid percent-encoding: the password as written is enough.
  }
  for (const piece of password.split(/[@/:?#]/)) if (piece.length >= 2) out.add(piece);
  return [...out];
}

interface Walk extends RedactOptions {
  /** Stop copying below this depth (show prints only the top levels). */
  readonly maxDepth?: number;
  /** Look at only this many items of an array. */
  readonly maxItems?: number;
}

/**
 * A copy of `value` with every secret hidden: values under secret-named
 * keys (`password`, `token`, `credentials`, `sasl`, …) at any depth, the
 * credentials of URLs in any string, and the text each
 * {@link RedactOptions.sources | source} put in, as `[redacted: from $VAR]`.
 * Objects without secrets are returned as they are (not copied); class
 * instances keep their prototype.
 *
 * @example
 * ```ts
 * redact({ url: 'amqp://u:p/w@host', sasl: { username: 'u', password: 'p' } });
 * // { url: 'amqp://u:[redacted]@host', sasl: { username: '[redacted]', password: '[redacted]' } }
 * ```
 */
export function redact(value: unknown, options: RedactOptions = {}): unknown {
  return redactWithin(value, options);
}

/** {@link redact} with limits, for error messages that print only the top of a value. */
export function redactWithin(value: unknown, options: Walk): unknown {
  const { sources, maxDepth = Infinity, maxItems = Infinity } = options;
  const start = options.path ?? [];
  const inProgress = new Set<object>();
  const walk = (v: unknown, path: PropertyKey[], secret: boolean, url: boolean): unknown => {
    const key = path.at(-1);
    const isSecret = secret || isSecretKey(key);
    const isUrl = url || isUrlKey(key);
    const from = sources?.(path) ?? [];
    if (typeof v === 'string') {
      if (PLACEHOLDER.test(v)) return v; // hidden already, perhaps naming its variable
      if (isSecret) return label(from.filter((s) => v.includes(s.value)).map((s) => s.name));
      return hide(v, [...urlSpans(v, isUrl), ...secretSpans(v, from)]);
    }
    if (v === null || v === undefined || typeof v === 'function') return v;
    if (typeof v !== 'object') {
      return isSecret || from.length > 0 ? label(from.map((s) => s.name)) : v;
    }
    if (path.length - start.length >= maxDepth || inProgress.has(v)) return v;
    inProgress.add(v);
    try {
      if (Array.isArray(v)) {
        let copy: unknown[] | undefined;
        const n = Math.min(v.length, maxItems);
        for (let i = 0; i < n; i++) {
          const item: unknown = v[i];
          const next = walk(item, [...path, i], isSecret, isUrl);
          if (next !== item) (copy ??= [...(v as unknown[])])[i] = next;
        }
        return copy ?? v;
      }
      if (Object.prototype.toString.call(v) !== '[object Object]') return v;
      let copy: Record<string, unknown> | undefined;
      for (const [k, item] of Object.entries(v)) {
        const next = walk(item, [...path, k], isSecret, isUrl);
        if (next !== item) {
          copy ??= Object.assign(
            Object.create(Object.getPrototypeOf(v) as object | null) as Record<string, unknown>,
            v,
          );
          copy[k] = next;
        }
      }
      return copy ?? v;
    } finally {
      inProgress.delete(v);
    }
  };
  return walk(
    value,
    [...start],
    start.slice(0, -1).some((k) => isSecretKey(k)),
    start.slice(0, -1).some((k) => isUrlKey(k)),
  );
}
