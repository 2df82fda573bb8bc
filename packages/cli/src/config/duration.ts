/**
 * Duration strings in a pipeline file: `500ms`, `1s`, `2m`, `1h`, or a
 * sequence such as `1m30s`, for any option that takes a number of ms.
 *
 * Which options those are is read from the schemas themselves: core's and
 * the producers' ms blocks (`positiveMs`, the SQS producer's delays…) all
 * say "number of ms" when given something else, so a string the schema
 * refused with that wording is converted, and nothing else is. A count,
 * or an SQS option in seconds, is never touched.
 */
import type { z } from 'zod';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** One or more `<number><unit>` parts, nothing else. */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** `1m30s` → 90000; undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    ms += Number(amount) * (UNIT_MS[unit ?? 'ms'] ?? 1);
  }
  return ms;
}

/** Does this problem come from an option that takes a number of ms? */
const takesMs = (issue: z.core.$ZodIssue): boolean =>
  issue.code === 'invalid_type' &&
  issue.expected === 'number' &&
  /number of ms/.test(issue.message);

/**
 * Replaces, in `value` (in place), each duration string the schema refused
 * where it takes a number of ms; returns how many it replaced.
 */
export function convertDurations(value: unknown, issues: readonly z.core.$ZodIssue[]): number {
  let converted = 0;
  for (const issue of issues) {
    if (!takesMs(issue) || issue.path.length === 0) continue;
    const parent = issue.path
      .slice(0, -1)
      .reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)?.[key], value);
    const key = issue.path.at(-1) as PropertyKey;
    const text = (parent as Record<PropertyKey, unknown> | undefined)?.[key];
    if (typeof text !== 'string') continue;
    const ms = parseDuration(text);
    if (ms === undefined) continue;
    (parent as Record<PropertyKey, unknown>)[key] = ms;
    converted++;
  }
  return converted;
}
