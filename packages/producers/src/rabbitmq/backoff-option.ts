/**
 * The backoff option block, `{ initial, max }` in ms, as every Sluice backoff
 * is (internal/retry.ts). It still takes the RabbitMQ producer's old
 * `{ min, max }` shape for one minor version: `min` moves to `initial`, with
 * a coded deprecation warning, and giving both is refused.
 */
import { z } from 'zod';
import { positiveMs, warnDeprecated } from '@sluice/core/options';

/**
 * The schema of the backoff option at `what` (its path, for messages), with
 * `initial` defaulting to `initial` ms and `max` to `max` ms (or `initial`,
 * if that is larger). A deprecated `min` warns with `code`.
 */
export function backoff(what: string, code: string, initial: number, max: number) {
  const bounds = z
    .object(
      {
        initial: positiveMs.default(initial).meta({ description: 'The first delay, in ms.' }),
        max: positiveMs.optional().meta({
          description: `The longest delay, in ms, at least \`initial\`. Default ${max}, or \`initial\` if that is larger.`,
        }),
        min: positiveMs.optional().meta({
          deprecated: true,
          description: 'Deprecated: use `initial` (the same number of ms).',
        }),
      },
      { error: 'expected { initial, max }' },
    )
    .strict();
  return z
    .preprocess<z.input<typeof bounds>, typeof bounds, z.input<typeof bounds>>((value, ctx) => {
      if (typeof value !== 'object' || value === null || value.min === undefined) return value;
      const { min, ...rest } = value;
      if (rest.initial !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['min'],
          message: `expected ${what}.initial or ${what}.min (deprecated), not both`,
          input: min,
        });
        return value;
      }
      // A bad min is reported where it was written, by the schema.
      if (!positiveMs.safeParse(min).success) return value;
      warnDeprecated(code, `${what}.min is deprecated: use ${what}.initial (the same ms)`);
      return { ...rest, initial: min };
    }, bounds)
    .transform((b, ctx) => {
      const longest = b.max ?? Math.max(b.initial, max);
      if (b.initial > longest) {
        ctx.issues.push({
          code: 'custom',
          path: ['max'],
          message: `expected at least initial (${b.initial})`,
          input: b.max,
        });
        return z.NEVER;
      }
      return { initial: b.initial, max: longest };
    });
}
