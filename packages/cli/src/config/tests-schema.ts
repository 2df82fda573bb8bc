/** The `tests:` list of a pipeline file (or of a `--tests` file), run by `sluice test`. */
import { nonNegativeInt } from '@sluice/core/options';
import { z } from 'zod';

const outcome = z.union([
  nonNegativeInt.meta({ description: 'How many messages.' }),
  z.array(
    z
      .object({
        data: z.unknown().optional().meta({ description: "The message's data, compared deeply." }),
        reason: z
          .string()
          .optional()
          .meta({ description: "A substring of the message's failure reason." }),
      })
      .strict(),
  ),
]);

/** Context entries replaced by modules: entry name → module path, relative to the file. */
export const stubsSchema = z
  .record(
    z.string(),
    z.string({ error: 'expected a path to a stub module' }).min(1, {
      error: 'expected a path to a stub module',
    }),
  )
  .meta({
    description:
      "Context entries replaced by modules for the test: entry name → a module path, relative to the file; the module's default export (or all its exports) is the stub.",
  });

/** One config-level test: messages in, outcomes and batches expected. */
export const testCaseSchema = z
  .object({
    name: z
      .string({ error: 'expected a test name' })
      .min(1)
      .meta({ description: "The test's name, in the report." }),
    input: z
      .array(z.unknown(), { error: 'expected a list of message data' })
      .meta({ description: 'The data of each message pushed, in order.' }),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "Merged into each message's metadata." }),
    stubs: stubsSchema.optional(),
    context: z.record(z.string(), z.unknown()).optional().meta({
      description:
        'Context entries replaced for this case by these values (after `stubs`), so handlers get them instead of the real ones.',
    }),
    expect: z
      .object({
        successful: outcome.optional().meta({
          description:
            'The successful messages: a count, or a list matched in any order by data and/or reason.',
        }),
        failed: outcome.optional().meta({
          description:
            'The failed messages: a count, or a list matched in any order by data and/or reason.',
        }),
        batches: z
          .record(z.string(), z.array(z.array(z.unknown())))
          .optional()
          .meta({
            description: 'For each batcher, the data of each batch handleBatch received, in order.',
          }),
      })
      .strict()
      .meta({ description: 'What the case expects; a key left out is not checked.' }),
  })
  .strict();

export const testsSchema = z.array(testCaseSchema, { error: 'expected a list of test cases' });

/** One test case, as validated. */
export type TestCase = z.output<typeof testCaseSchema>;
