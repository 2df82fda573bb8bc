/**
 * `sluice test <file>`: config-level tests, beyond what Broadway offers. The
 * file's `tests:` (or a separate file given with `--tests`) lists cases; each
 * pushes its input through the real handlers with @sluice/testing and checks
 * which messages succeeded or failed and what each handleBatch received.
 *
 * Tests run with one processor and one batch processor per batcher, and the
 * test producer in place of the file's, so results are deterministic and no
 * broker is needed. Batches are flushed when a case ends.
 *
 * The handler module's `setup` runs once before the cases and its
 * `teardown` once after. Context entries can be replaced by stubs: modules
 * (`stubs:` in a `--tests` file for every case, or in a case) and inline
 * values (a case's `context:`), so a case never reaches a real database.
 */
import { isDeepStrictEqual, inspect } from 'node:util';
import {
  createPipeline,
  failureReason,
  silentLogger,
  type Message,
  type PipelineDefinition,
} from '@sluice/core';
import { pipelineDefinitionObject } from '@sluice/core/options';
import { testBatch, testProducer } from '@sluice/testing';
import { build } from '../build.ts';
import { loadConfig, loadTests, type TestsFile } from '../config/load.ts';
import type { TestCase } from '../config/schema.ts';
import { setUp, tearDown, type HandlerContext, type Lifecycle } from '../lifecycle.ts';
import { loadStubs } from '../stubs.ts';
import { reportInvalid } from './report.ts';

interface Outcome {
  readonly successful: Message[];
  readonly failed: Message[];
  readonly batches: Record<string, unknown[][]>;
}

/** Runs one case through a fresh copy of the pipeline. */
async function runCase(definition: PipelineDefinition, test: TestCase): Promise<Outcome> {
  const batches: Record<string, unknown[][]> = {};
  const handleBatch = definition.handleBatch?.bind(definition);
  const pipeline = createPipeline({
    ...definition,
    logger: silentLogger,
    producer: { module: testProducer() },
    processors: Object.fromEntries(
      Object.entries(definition.processors).map(([k, p]) => [k, { ...p, concurrency: 1 }]),
    ),
    ...(definition.batchers !== undefined && {
      batchers: Object.fromEntries(
        Object.entries(definition.batchers).map(([k, b]) => [k, { ...b, concurrency: 1 }]),
      ),
    }),
    ...(handleBatch !== undefined && {
      handleBatch(batcher, messages, info, context, signal) {
        (batches[batcher] ??= []).push(messages.map((m) => m.data));
        return handleBatch(batcher, messages, info, context, signal);
      },
    }),
  });
  await pipeline.start();
  const acked = testBatch(pipeline, test.input, {
    ...(test.metadata !== undefined && { metadata: test.metadata }),
  });
  await pipeline.stop(); // flushes open batches
  const { successful, failed } = await acked;
  return { successful, failed, batches };
}

const reasonOf = (m: Message): string => {
  const reason = failureReason(m.status);
  return reason instanceof Error ? reason.message : String(reason);
};

/** What differs between a case's expectations and its outcome (empty: it passed). */
export function compare(test: TestCase, outcome: Outcome): string[] {
  const problems: string[] = [];
  const check = (label: 'successful' | 'failed', messages: Message[]): void => {
    const expected = test.expect[label];
    if (expected === undefined) return;
    if (typeof expected === 'number') {
      if (messages.length !== expected) {
        problems.push(`expected ${expected} ${label} messages, got ${messages.length}`);
      }
      return;
    }
    const unmatched = [...messages];
    for (const want of expected) {
      const i = unmatched.findIndex(
        (m) =>
          (want.data === undefined || isDeepStrictEqual(m.data, want.data)) &&
          (want.reason === undefined || reasonOf(m).includes(want.reason)),
      );
      if (i === -1) {
        problems.push(
          `expected a ${label} message like ${show(want)}; got ${show(messages.map(describe))}`,
        );
      } else unmatched.splice(i, 1);
    }
    if (unmatched.length > 0) {
      problems.push(
        `${unmatched.length} unexpected ${label} messages: ${show(unmatched.map(describe))}`,
      );
    }
  };
  check('successful', outcome.successful);
  check('failed', outcome.failed);
  for (const [batcher, expected] of Object.entries(test.expect.batches ?? {})) {
    const got = outcome.batches[batcher] ?? [];
    if (!isDeepStrictEqual(got, expected)) {
      problems.push(`batcher ${batcher}: expected batches ${show(expected)}, got ${show(got)}`);
    }
  }
  return problems;
}

const describe = (m: Message): unknown =>
  m.ok ? { data: m.data } : { data: m.data, reason: reasonOf(m) };
const show = (v: unknown): string => inspect(v, { depth: 4, breakLength: Infinity });

export async function test(file: string, options: { tests?: string }): Promise<number> {
  let definition: PipelineDefinition;
  let lifecycle: Lifecycle;
  let cases: TestCase[];
  /** The file the cases (and their stub paths) come from. */
  const casesFile = options.tests ?? file;
  let shared: HandlerContext;
  try {
    const loaded = loadConfig(file);
    ({ definition, lifecycle } = await build(loaded));
    const tests: TestsFile =
      options.tests !== undefined ? loadTests(options.tests) : { tests: loaded.config.tests ?? [] };
    cases = tests.tests;
    shared = await loadStubs(casesFile, tests.stubs);
  } catch (error) {
    return reportInvalid(casesFile, error);
  }
  if (cases.length === 0) {
    console.error(`${file}: no tests (add a tests: list to the file, or pass --tests <file>)`);
    return 2;
  }
  // setup sees the file's stubs in place, so it can skip what they replace.
  let context: HandlerContext;
  try {
    context = await setUp(lifecycle, {
      ...(definition.context as HandlerContext | undefined),
      ...shared,
    });
  } catch (error) {
    console.error(`${file}: ${(error as Error).message}`);
    return 1;
  }
  let failedCases = 0;
  try {
    for (const test of cases) {
      let caseContext: HandlerContext;
      try {
        caseContext = {
          ...context,
          ...shared,
          ...(await loadStubs(casesFile, test.stubs)),
          ...test.context,
        };
      } catch (error) {
        return reportInvalid(casesFile, error);
      }
      const problems = compare(test, await runCase({ ...definition, context: caseContext }, test));
      if (problems.length === 0) {
        console.log(`✓ ${test.name}`);
      } else {
        failedCases++;
        console.log(`✗ ${test.name}`);
        for (const p of problems) console.log(`    ${p}`);
      }
    }
  } finally {
    await tearDown(
      lifecycle,
      context,
      pipelineDefinitionObject.shape.shutdownTimeout.parse(definition.shutdownTimeout),
      { warn: (_fields: unknown, message: string) => console.error(`${file}: ${message}`) },
    );
  }
  console.log(`\n${cases.length - failedCases} passed, ${failedCases} failed`);
  return failedCases === 0 ? 0 : 1;
}
