/**
 * `${VAR}` and `${VAR:-default}` in a config file's string values. A
 * missing variable (without a default) is an error that names it and where
 * it was used. `$${` stands for a literal `${`.
 *
 * Pure: takes the environment as an argument.
 */
import type { SecretSource } from '@sluice/core';

/** A `${VAR}` that has no value and no default. */
export interface MissingVariable {
  readonly name: string;
  readonly path: readonly (string | number)[];
}

export interface Interpolated {
  readonly value: unknown;
  readonly missing: readonly MissingVariable[];
  /** Values that came from the environment, so they can be hidden in output. */
  readonly fromEnvironment: ReadonlySet<string>;
  /**
   * The variables whose values went into the value at `path`: what the
   * output hides there, as `[redacted: from $VAR]`.
   */
  readonly sources: (path: readonly PropertyKey[]) => readonly SecretSource[] | undefined;
}

/**
 * One reference, as regular-expression source: `${NAME}` or
 * `${NAME:-default}`, capturing the name and the default.
 */
export const REFERENCE = String.raw`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`;

/** Every reference, with a leading `$` captured first (`$${` is a literal `${`). */
const PATTERN = new RegExp(`(\\$?)${REFERENCE}`, 'g');
/** A value that is exactly one reference. */
const WHOLE = new RegExp(`^${REFERENCE}$`);

/**
 * A value that is exactly one `${VAR}` takes the type the substitution
 * would have had in the file: `count: ${N:-100}` is the number 100.
 */
function scalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

export function interpolate(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Interpolated {
  const missing: MissingVariable[] = [];
  const fromEnvironment = new Set<string>();
  const byPath = new Map<string, SecretSource[]>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      const whole = WHOLE.exec(v);
      const replaced = v.replace(
        PATTERN,
        (match, escaped: string, name: string, fallback: string | undefined) => {
          if (escaped === '$') return match.slice(1);
          const found = env[name];
          if (found !== undefined && found !== '') {
            fromEnvironment.add(found);
            const key = JSON.stringify(path);
            byPath.set(key, [...(byPath.get(key) ?? []), { name, value: found }]);
            return found;
          }
          if (fallback !== undefined) return fallback;
          missing.push({ name, path });
          return '';
        },
      );
      return whole !== null ? scalar(replaced) : replaced;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]),
      );
    }
    return v;
  };
  return {
    value: walk(value, []),
    missing,
    fromEnvironment,
    sources: (path) => byPath.get(JSON.stringify(path)),
  };
}
