/**
 * The options of the producers only a pipeline file has: `generator`,
 * `file` and `stdin`. Each option's default and description are written
 * here once; the pipeline file's schema, its JSON Schema and the docs
 * tables are built from these.
 */
import { generatorSchema } from '@sluice/core/options';
import { z } from 'zod';

/** How a line becomes a message: its text, or its parsed JSON. */
export const lineFormat = z.enum(['lines', 'jsonl']);

/** `lines` (each line's text) or `jsonl` (each line's parsed JSON). */
export type LineFormat = z.infer<typeof lineFormat>;

const format = lineFormat.default('lines').meta({
  description:
    "Each line's text (`lines`), or its parsed JSON (`jsonl`: a line that is not valid JSON fails, blank lines are skipped).",
});

/**
 * The word a file's generator `count` takes for "no count": `endless`.
 * `count: 0` stays a count (zero messages), so `SLUICE_MESSAGES=endless`
 * is how an environment variable asks for an endless run.
 */
export const ENDLESS = 'endless';

/**
 * The `generator` producer's options: core's `generatorProducer` ones a
 * file can give, with `count` also taking {@link ENDLESS} (what leaving it
 * out means), since an environment variable cannot unset a key.
 */
export const generatorOptions = generatorSchema.pick({ count: true, rate: true }).extend({
  count: z
    .union([generatorSchema.shape.count.unwrap(), z.literal(ENDLESS)], {
      error: `expected a non-negative integer, or '${ENDLESS}'`,
    })
    .optional()
    .meta({
      description: `How many messages in all, shared among the producer instances; \`${ENDLESS}\` (or leaving it out) for no end. \`0\` is zero messages.`,
    }),
});

/** The `file` producer's options, as a file gives them. */
export const fileOptions = z
  .object({
    path: z
      .string({ error: 'expected a file path' })
      .min(1, { error: 'expected a file path' })
      .meta({ description: 'The file to read.' }),
    format,
    checkpoint: z.string().min(1).optional().meta({
      description:
        'Where acked progress is saved, so a restart resumes after the last acked line; `<path>.offset` when not given.',
    }),
  })
  .strict();

/** The `file` producer's options, resolved: `checkpoint` filled in from `path`. */
export type FileOptions = z.output<typeof fileOptions> & { readonly checkpoint: string };

/** Fills in `checkpoint` from `path` (the cross-field default of {@link fileOptions}). */
export function withCheckpoint<O extends z.output<typeof fileOptions>>(
  o: O,
): O & { checkpoint: string } {
  return { ...o, checkpoint: o.checkpoint ?? `${o.path}.offset` };
}

/** The `stdin` producer's options. */
export const stdinOptions = z.object({ format }).strict();

/** The `stdin` producer's options, resolved. */
export type StdinOptions = z.output<typeof stdinOptions>;
